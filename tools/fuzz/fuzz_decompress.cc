// libFuzzer target: content detection and decompression of every format (merkle/compression/:
// gzip, bzip2, lzma, xz, lzo, lz4, zstd) on arbitrary bytes. The first byte picks the format for a
// direct decompress() call (so every codec sees every input, magic or not); the rest goes through
// decompress_input as read_input hands a module to inspect/verify (detection by magic).
#include <cstddef>
#include <cstdint>

#include "merkle/compression/decompress.h"
#include "merkle/compression/input.h"

using namespace elfhash;

// A decompression bomb must stop at the bound with an error. The bound is a parameter of the
// library, so any value exercises the same checks; 256 KiB (17 times the seeds' 15 KB plain size)
// keeps a bomb's cost per execution low: at 16 MiB most mutants decoded 16 MiB each and the target
// ran at ~200 exec/s, too slow for a 10^7 campaign (docs/threat-model.md).
constexpr uint64_t kFuzzMax = 256 << 10;
// The decoders' own memory, bounded the same way: ASan poisons the shadow of every allocation, so a
// mutated header asking for the default's 128 MiB dictionary cost ~30 ms per execution (perf: ASan's
// LargeMmapAllocator and quarantine memsets). The seeds use 64 KiB dictionaries (tools/fuzz.sh); the
// refusal of a larger one than the limit is the same code path at any limit.
constexpr uint64_t kFuzzDecoderMemory = 1 << 20;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  auto f = static_cast<compression::Format>(data[0] % 8);
  std::span<const uint8_t> rest(data + 1, size - 1);
  auto out = compression::decompress(f, rest, "fuzz", kFuzzMax, kFuzzDecoderMemory);
  if (out.ok() && (f == compression::Format::kNone || out->size() > kFuzzMax)) __builtin_trap();
  compression::Input in;
  in.name = "fuzz";
  in.mapped = MappedFile::from_memory(rest, "fuzz");
  if (compression::decompress_input(in, kFuzzMax, kFuzzDecoderMemory).ok()) {
    if (in.file_size != rest.size() || in.bytes().size() > (in.compression == compression::Format::kNone ? rest.size() : kFuzzMax))
      __builtin_trap();
    if (in.compression != compression::detect(rest)) __builtin_trap();
  }
  return 0;
}
