// ar archives (static libraries) as objcopy and strip rewrite them: binutils copy_archive copies each
// member with the same options and writes a new archive (docs/formats.md, "ar archives").
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "elf/error.h"
#include "elf/ops.h"

namespace elfhash::elf {

// "!<arch>\n", or a thin archive's "!<thin>\n" (which copy_archive refuses, as GNU does).
bool is_archive(std::span<const uint8_t> bytes);

// The archive `bytes` (read from `path`) with each ELF member copied by `opt` (copy_to_memory) and
// every other member as it is, written as BFD's archive writer does in deterministic mode (Debian's
// binutils default, -D): member dates, owners 0, mode 644; the symbol map ("/") rebuilt from the
// output members' defined global, weak, unique and common symbols, and left out with --strip-all
// (as in GNU); names over 15 bytes in the "//" table. Errors carry the member's name and offset.
Result<std::vector<uint8_t>> copy_archive(std::span<const uint8_t> bytes, const std::string& path,
                                          const CopyOptions& opt);

}  // namespace elfhash::elf
