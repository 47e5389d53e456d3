// A kernel as it is installed: an ELF vmlinux, or an x86 bzImage whose payload (the compressed
// vmlinux.bin, arch/x86/boot/compressed) is found through the boot protocol header
// (Documentation/arch/x86/boot.rst) and decompressed. From the ELF: the .module_hashes root (levels in
// the ELF's byte order, spec §4.1) and the X.509 certificates built into the system keyring.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "elf/error.h"
#include "elf/mapped_file.h"
#include "elf/reader.h"
#include "merkle/compression/decompress.h"
#include "merkle/module_hashes.h"

namespace elfhash::kernel {

// The fields of the x86 real-mode setup header this reader uses (boot protocol 2.08+).
struct BootHeader {
  uint16_t version = 0;         // 0x206, e.g. 0x020f for 2.15
  uint32_t setup_sects = 0;     // 0x1f1 (0 means 4)
  uint32_t payload_offset = 0;  // 0x248, from the start of the protected-mode code
  uint32_t payload_length = 0;  // 0x24c
  uint64_t payload_file_offset = 0;
  std::string kernel_version;   // the string 0x20e points at ("6.1.0-... (debian-kernel@...) #1 SMP ...")
};

// nullopt when `file` has no "HdrS" setup header (not a bzImage); an error when it has one that is
// too old (< 2.08: no payload fields) or points outside the file.
Result<std::optional<BootHeader>> parse_boot_header(std::span<const uint8_t> file, const std::string& name);

struct BuiltinCert {
  uint64_t offset = 0;             // file offset in the (decompressed) vmlinux
  std::string section;
  std::span<const uint8_t> der;    // into KernelImage's bytes
};

enum class CertSource {
  kNone,    // no certificate found
  kSymbol,  // system_certificate_list + system_certificate_list_size from .symtab
  kScan,    // no symbol table: DER SEQUENCEs in allocated data sections that OpenSSL parses as X.509
};
const char* cert_source_name(CertSource s);  // "none", "symbol system_certificate_list", "section scan"

struct KernelImage {
  std::string path;
  std::string format;                           // "elf" or "bzImage"
  std::optional<BootHeader> boot;               // bzImage only
  compression::Format compression = compression::Format::kNone;
  uint64_t compressed_size = 0, vmlinux_size = 0;
  double decompress_seconds = 0;
  std::shared_ptr<MappedFile> file;             // the input
  std::vector<uint8_t> payload;                 // decompressed vmlinux (bzImage)
  std::optional<elf::ElfFile> elf;
  std::optional<merkle::ModuleHashesRoot> root; // nullopt: no .module_hashes section
  std::vector<BuiltinCert> certs;
  CertSource cert_source = CertSource::kNone;
};

// Bound on a decompressed bzImage payload (a hostile payload can claim any size: decompression
// bombs). A Debian vmlinux is ~60 MiB; an allyesconfig one stays well under this.
inline constexpr uint64_t kMaxVmlinux = uint64_t{2} << 30;

// Loads and decodes a kernel image. An arm64 Image (or any other format) is an "unsupported kernel
// image format" error.
Result<std::unique_ptr<KernelImage>> load_kernel(const std::string& path);
// load_kernel on bytes already mapped (errors name file->path()); `max_vmlinux` bounds the
// decompressed payload, a "decompressed data exceeds" error past it (the fuzzer passes less).
Result<std::unique_ptr<KernelImage>> decode_kernel(std::shared_ptr<MappedFile> file, uint64_t max_vmlinux = kMaxVmlinux);

// True when the bytes look like a kernel image this reader handles (ELF or bzImage): for inspect.
bool is_bzimage(std::span<const uint8_t> file);

}  // namespace elfhash::kernel
