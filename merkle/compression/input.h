// A module as kmod and the kernel see it: the file's bytes, decompressed first when they start with a
// compression magic (.ko.gz, .ko.xz, .ko.zst; kmod decides by content too, libkmod-file.c). The
// trailer is inside the compressed data (spec §5.3: compression comes after signing). Reads regular
// files through a mapping, anything else (`-` for standard input, a pipe from `<(...)`) by reading.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "elf/error.h"
#include "elf/mapped_file.h"
#include "merkle/compression/decompress.h"

namespace elfhash::compression {

inline constexpr uint64_t kMaxModuleSize = uint64_t{1} << 30;

struct Input {
  std::string name;
  Format compression = Format::kNone;
  uint64_t file_size = 0;               // as stored (compressed size when compressed)
  std::shared_ptr<MappedFile> mapped;   // regular, uncompressed files
  std::vector<uint8_t> owned;           // decompressed or read bytes otherwise
  std::span<const uint8_t> bytes() const { return mapped ? mapped->bytes() : std::span<const uint8_t>(owned); }
};

// `path` "-" is standard input. At most kMaxModuleSize bytes, before and after decompression.
Result<Input> read_input(const std::string& path);
// The decompression step of read_input: sets in.compression from in.bytes() and, when compressed,
// replaces them by at most `max_size` decompressed bytes (`decoder_memory` as for decompress()).
Status decompress_input(Input& in, uint64_t max_size = kMaxModuleSize, uint64_t decoder_memory = 0);

}  // namespace elfhash::compression
