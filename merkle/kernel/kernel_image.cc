#include "merkle/kernel/kernel_image.h"

#include <fmt/core.h>

#include <chrono>
#include <cstring>

#include "elf/bytes.h"
#include "merkle/modsig/x509.h"
#include "merkle/patch.h"

namespace elfhash::kernel {
namespace {

// Setup header offsets (Documentation/arch/x86/boot.rst, "The Real-Mode Kernel Header").
constexpr size_t kSetupSects = 0x1f1, kHeader = 0x202, kVersion = 0x206, kKernelVersion = 0x20e;
constexpr size_t kPayloadOffset = 0x248, kPayloadLength = 0x24c, kHeaderEnd = 0x250;

uint16_t le16(std::span<const uint8_t> f, size_t at) { return elf::load<uint16_t>(f.data() + at, elf::Endian::kLittle); }
uint32_t le32(std::span<const uint8_t> f, size_t at) { return elf::load<uint32_t>(f.data() + at, elf::Endian::kLittle); }

bool is_elf(std::span<const uint8_t> f) { return f.size() >= 4 && std::memcmp(f.data(), "\x7f" "ELF", 4) == 0; }

// arm64 Image header: "ARM\x64" at 0x38 (Documentation/arch/arm64/booting.rst); RISC-V "RSC\x05" at 0x38.
std::string other_kernel_format(std::span<const uint8_t> f) {
  if (f.size() >= 0x40 && std::memcmp(f.data() + 0x38, "ARM\x64", 4) == 0) return "arm64 Image";
  if (f.size() >= 0x40 && std::memcmp(f.data() + 0x38, "RSC\x05", 4) == 0) return "RISC-V Image";
  return "";
}

Error unsupported(const std::string& path, const std::string& what) {
  return make_error(path, 0, fmt::format("unsupported kernel image format{}: expected an ELF vmlinux or an x86 bzImage",
                                         what.empty() ? "" : " (" + what + ")"));
}

// The section holding file bytes for virtual address `addr`, and the file offset.
std::optional<std::pair<uint32_t, uint64_t>> locate(const elf::ElfFile& elf, uint64_t addr, uint64_t size) {
  const auto& sh = elf.sections();
  for (uint32_t i = 1; i < sh.size(); ++i) {
    const auto& s = sh[i];
    if (!(s.flags & elf::SHF_ALLOC) || s.type == elf::SHT_NOBITS || addr < s.addr || addr - s.addr > s.size ||
        size > s.size - (addr - s.addr))
      continue;
    return std::pair{i, s.offset + (addr - s.addr)};
  }
  return std::nullopt;
}

// certs/system_certificates.S: `system_certificate_list` labels the DER certificates and
// `system_certificate_list_size` holds their total size (a .quad on 64-bit, a .long on 32-bit).
// The list is walked as load_certificate_list (certs/common.c) walks it: SEQUENCE headers with a
// two-byte length, back to back, stopping at the first thing that is not one.
Result<bool> certs_from_symbols(KernelImage& k) {
  const elf::ElfFile& elf = *k.elf;
  auto symtab = elf.symtab_index();
  if (!symtab) return false;
  EH_ASSIGN(auto syms, elf.symbols(*symtab));
  EH_ASSIGN(auto names, elf.symbol_names(*symtab));
  std::optional<uint64_t> list, size_at;
  for (size_t i = 0; i < syms.size(); ++i) {
    if (names[i] == "system_certificate_list") list = syms[i].value;
    if (names[i] == "system_certificate_list_size") size_at = syms[i].value;
  }
  if (!list || !size_at) return false;
  size_t word = elf.is64() ? 8 : 4;
  auto sz = locate(elf, *size_at, word);
  if (!sz) return make_error(k.path, kNoOffset, "system_certificate_list_size is not in a section with contents");
  auto bytes = elf.bytes();
  uint64_t total = word == 8 ? elf::load<uint64_t>(bytes.data() + sz->second, elf.endian())
                             : elf::load<uint32_t>(bytes.data() + sz->second, elf.endian());
  auto at = locate(elf, *list, total);
  if (!at) return make_error(k.path, sz->second, fmt::format("system_certificate_list_size {} runs past its section", total));
  std::string section(elf.section_name(at->first));
  auto data = bytes.subspan(at->second, total);
  for (size_t p = 0; data.size() - p >= 4 && data[p] == 0x30 && data[p + 1] == 0x82;) {
    size_t len = 4 + ((size_t{data[p + 2]} << 8) | data[p + 3]);
    if (len > data.size() - p) break;
    if (modsig::certificate_length(data.subspan(p, len)) == len)
      k.certs.push_back({at->second + p, section, data.subspan(p, len)});
    p += len;
  }
  k.cert_source = CertSource::kSymbol;
  return true;
}

// Without a symbol table (the vmlinux.bin inside a bzImage is `objcopy -S`): every offset of the
// allocated, non-executable data sections where a certificate starts.
void certs_from_scan(KernelImage& k) {
  const elf::ElfFile& elf = *k.elf;
  const auto& sh = elf.sections();
  for (uint32_t i = 1; i < sh.size(); ++i) {
    const auto& s = sh[i];
    if (!(s.flags & elf::SHF_ALLOC) || (s.flags & elf::SHF_EXECINSTR) || s.type != elf::SHT_PROGBITS) continue;
    auto data = elf.section_data(i);
    for (size_t p = 0; p + 8 <= data.size();) {
      const void* hit = std::memchr(data.data() + p, 0x30, data.size() - p - 7);
      if (!hit) break;
      p = static_cast<const uint8_t*>(hit) - data.data();
      if (size_t len = modsig::certificate_length(data.subspan(p))) {
        k.certs.push_back({s.offset + p, std::string(elf.section_name(i)), data.subspan(p, len)});
        p += len;
      } else {
        ++p;
      }
    }
  }
  k.cert_source = k.certs.empty() ? CertSource::kNone : CertSource::kScan;
}

Status decode_elf(KernelImage& k, std::shared_ptr<MappedFile> view) {
  EH_ASSIGN(elf::ElfFile elf, elf::ElfFile::parse(std::move(view)));
  k.elf.emplace(std::move(elf));
  if (k.elf->find_section(merkle::kModuleHashesSection)) {
    EH_ASSIGN(merkle::ModuleHashesSection sec, merkle::find_module_hashes(*k.elf));
    EH_ASSIGN(k.root, merkle::decode_module_hashes(k.elf->section_data(sec.index), k.elf->endian(), k.path));
  }
  EH_ASSIGN(bool by_symbol, certs_from_symbols(k));
  if (!by_symbol) certs_from_scan(k);
  return ok_status();
}

}  // namespace

bool is_bzimage(std::span<const uint8_t> f) {
  return f.size() >= kHeaderEnd && std::memcmp(f.data() + kHeader, "HdrS", 4) == 0;
}

Result<std::optional<BootHeader>> parse_boot_header(std::span<const uint8_t> f, const std::string& name) {
  if (!is_bzimage(f)) return std::optional<BootHeader>();
  BootHeader h;
  h.version = le16(f, kVersion);
  if (h.version < 0x0208)
    return make_error(name, kVersion, fmt::format("boot protocol {}.{:02} has no payload_offset (2.08 or later needed)",
                                                  h.version >> 8, h.version & 0xff));
  h.setup_sects = f[kSetupSects] ? f[kSetupSects] : 4;
  h.payload_offset = le32(f, kPayloadOffset);
  h.payload_length = le32(f, kPayloadLength);
  h.payload_file_offset = uint64_t{h.setup_sects + 1} * 512 + h.payload_offset;
  if (!elf::in_bounds(h.payload_file_offset, h.payload_length, f.size()) || h.payload_length == 0)
    return make_error(name, kPayloadOffset,
                      fmt::format("payload at {:#x}, {} bytes, is not inside the {}-byte file", h.payload_file_offset,
                                  h.payload_length, f.size()));
  if (uint16_t kv = le16(f, kKernelVersion); kv != 0 && kv + 0x200u < f.size()) {
    const char* s = reinterpret_cast<const char*>(f.data() + kv + 0x200);
    h.kernel_version.assign(s, strnlen(s, std::min<size_t>(f.size() - kv - 0x200, 512)));
  }
  return std::optional<BootHeader>(h);
}

const char* cert_source_name(CertSource s) {
  switch (s) {
    case CertSource::kNone: return "none";
    case CertSource::kSymbol: return "symbol system_certificate_list";
    case CertSource::kScan: return "section scan";
  }
  return "?";
}

Result<std::unique_ptr<KernelImage>> load_kernel(const std::string& path) {
  EH_ASSIGN(std::shared_ptr<MappedFile> file, MappedFile::open(path));
  return decode_kernel(std::move(file));
}

Result<std::unique_ptr<KernelImage>> decode_kernel(std::shared_ptr<MappedFile> file, uint64_t max_vmlinux) {
  auto k = std::make_unique<KernelImage>();
  k->path = file->path();
  const std::string& path = k->path;
  k->file = std::move(file);
  auto bytes = k->file->bytes();
  if (is_elf(bytes)) {
    k->format = "elf";
    k->vmlinux_size = bytes.size();
    EH_TRY(decode_elf(*k, k->file));
    return k;
  }
  EH_ASSIGN(k->boot, parse_boot_header(bytes, path));
  auto payload = bytes;
  if (k->boot) {
    k->format = "bzImage";
    payload = bytes.subspan(k->boot->payload_file_offset, k->boot->payload_length);
  } else if (compression::detect(bytes) == compression::Format::kNone) {
    return unsupported(path, other_kernel_format(bytes));
  } else {
    k->format = "compressed";  // vmlinux.gz and the like; Image.gz is refused below
  }
  uint64_t payload_at = k->boot ? k->boot->payload_file_offset : 0;
  k->compression = compression::detect(payload);
  k->compressed_size = payload.size();
  if (k->compression == compression::Format::kNone)
    return make_error(path, payload_at, "bzImage payload is in no known compression format");
  auto t0 = std::chrono::steady_clock::now();
  auto out = compression::decompress(k->compression, payload, path, max_vmlinux);
  if (!out.ok()) {
    Error e = out.error();
    if (e.offset != kNoOffset) e.offset += payload_at;
    return e;
  }
  k->decompress_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  k->payload = std::move(*out);
  k->vmlinux_size = k->payload.size();
  if (!is_elf(k->payload)) {
    if (!k->boot)
      return unsupported(path, fmt::format("{}-compressed {}", compression::format_name(k->compression),
                                           other_kernel_format(k->payload).empty() ? "data" : other_kernel_format(k->payload)));
    return make_error(path, payload_at, "the decompressed bzImage payload is not an ELF vmlinux");
  }
  EH_TRY(decode_elf(*k, MappedFile::from_memory(k->payload, path + " (payload)")));
  return k;
}

}  // namespace elfhash::kernel
