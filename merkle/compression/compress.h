// Module compression after the proof trailer, as modules_install does with CONFIG_MODULE_COMPRESS_*
// (spec §5.3): `xz --check=crc32 --lzma2=dict=1MiB` and `zstd` at its default level. The same
// encoders and settings as the CLI tools, so the bytes match what kbuild's commands produce with
// Debian's xz-utils 5.4 and zstd 1.5 (tested). gzip is not offered: gzip(1) has its own deflate
// implementation, and zlib's output differs from it.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "elf/error.h"

namespace elfhash::merkle {

enum class Compression { kNone, kXz, kZstd };

// "xz" / "zstd" (the CONFIG_MODULE_COMPRESS_* names); nullopt for anything else.
std::optional<Compression> parse_compression(std::string_view name);
// ".xz", ".zst" or "" (the installed file's extra suffix).
const char* compression_suffix(Compression c);

// The compressed form of the concatenation of `parts`. `name` is for errors.
Result<std::vector<uint8_t>> compress(Compression c, std::initializer_list<std::span<const uint8_t>> parts,
                                      const std::string& name);

}  // namespace elfhash::merkle
