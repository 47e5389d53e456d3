// libFuzzer target: the kernel image reader (merkle/kernel/kernel_image.h) on arbitrary bytes, as
// `elfhash verify --kernel` and `inspect` use it: the bzImage setup header, the payload's compression
// detection and decompression, the ELF vmlinux inside, its .module_hashes root and the built-in
// certificates (symbol list or section scan, merkle/modsig/x509.h), then what inspect and verify do
// with them (summarize, describe_certificate, CertStore::add_der).
#include <cstddef>
#include <cstdint>
#include <algorithm>

#include "elf/summary.h"
#include "merkle/kernel/kernel_image.h"
#include "merkle/modsig/x509.h"

using namespace elfhash;

// Far below kMaxVmlinux: a decompression bomb must stop at the bound with an error, and libFuzzer's
// -rss_limit_mb=2048 must hold under ASan while it does.
constexpr uint64_t kFuzzMaxVmlinux = 16 << 20;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  (void)kernel::parse_boot_header(in, "fuzz");
  auto k = kernel::decode_kernel(MappedFile::from_memory(in, "fuzz"), kFuzzMaxVmlinux);
  if (!k.ok()) return 0;
  const kernel::KernelImage& im = **k;
  if (!im.elf || im.vmlinux_size > std::max<uint64_t>(kFuzzMaxVmlinux, size)) __builtin_trap();
  if (im.boot && (im.boot->payload_file_offset > size || im.boot->payload_length > size - im.boot->payload_file_offset))
    __builtin_trap();
  (void)elf::summarize(*im.elf);
  auto whole = im.elf->bytes();
  modsig::CertStore store;
  for (const auto& c : im.certs) {
    // Each certificate is a view into the decoded vmlinux, at the offset it reports.
    if (c.offset > whole.size() || c.der.size() > whole.size() - c.offset || c.der.data() != whole.data() + c.offset)
      __builtin_trap();
    (void)modsig::describe_certificate(c.der, "fuzz", c.offset);
    (void)store.add_der(c.der, "fuzz", c.offset);
  }
  return 0;
}
