// libFuzzer target: content detection and decompression of every format (merkle/compression/:
// gzip, bzip2, lzma, xz, lzo, lz4, zstd) on arbitrary bytes. The first byte picks the format for a
// direct decompress() call (so every codec sees every input, magic or not); the rest goes through
// decompress_input as read_input hands a module to inspect/verify (detection by magic).
#include <cstddef>
#include <cstdint>

#include "merkle/compression/decompress.h"
#include "merkle/compression/input.h"

using namespace elfhash;

// A decompression bomb must stop at the bound with an error (the library's bound, kept small here
// so that libFuzzer's -rss_limit_mb=2048 holds under ASan).
constexpr uint64_t kFuzzMax = 16 << 20;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  auto f = static_cast<compression::Format>(data[0] % 8);
  std::span<const uint8_t> rest(data + 1, size - 1);
  auto out = compression::decompress(f, rest, "fuzz", kFuzzMax);
  if (out.ok() && (f == compression::Format::kNone || out->size() > kFuzzMax)) __builtin_trap();
  compression::Input in;
  in.name = "fuzz";
  in.mapped = MappedFile::from_memory(rest, "fuzz");
  if (compression::decompress_input(in, kFuzzMax).ok()) {
    if (in.file_size != rest.size() || in.bytes().size() > (in.compression == compression::Format::kNone ? rest.size() : kFuzzMax))
      __builtin_trap();
    if (in.compression != compression::detect(rest)) __builtin_trap();
  }
  return 0;
}
