// Decompression of the formats a kernel build produces: bzImage payloads (arch/x86/boot/compressed:
// gzip, bzip2, lzma, xz, lzo, lz4, zstd, each followed by the 4-byte decompressed size that kbuild's
// *_with_size commands append) and compressed modules (.ko.gz, .ko.xz, .ko.zst as modules_install
// writes them). Each codec is Debian's library (zlib, libbz2, liblzma, liblzo2, liblz4, libzstd); only
// the lzop and legacy-lz4 container framing, which those libraries leave to their CLI tools, is read
// here (the layout lib/decompress_unlzo.c and lib/decompress_unlz4.c read).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "elf/error.h"

namespace elfhash::compression {

enum class Format { kNone, kGzip, kBzip2, kLzma, kXz, kLzo, kLz4, kZstd };

// By magic number. kNone when `data` starts with none of them (an ELF file, say). The .lzma "alone"
// format has no real magic: the kernel's `lzma -9` writes properties byte 0x5d and a 2^n dictionary.
Format detect(std::span<const uint8_t> data);
// "none", "gzip", "bzip2", "lzma", "xz", "lzo", "lz4", "zstd".
const char* format_name(Format f);
// The installed module suffix modules_install uses (".gz", ".xz", ".zst"), "" for none and others.
const char* module_suffix(Format f);

// The decompressed bytes of the first stream of `data` (trailing bytes, such as the appended size of a
// kernel payload, are ignored). Errors carry `name` and the input offset where known; more than
// `max_size` bytes of output is an error (a bound on what hostile input can make us allocate).
// `decoder_memory` bounds the decoder's own allocations (an LZMA dictionary, a zstd window); 0 is the
// default: max(max_size, 128 MiB), which every kernel compression setting fits.
Result<std::vector<uint8_t>> decompress(Format f, std::span<const uint8_t> data, const std::string& name,
                                        uint64_t max_size, uint64_t decoder_memory = 0);

}  // namespace elfhash::compression
