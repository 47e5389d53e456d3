// The one reader for files read whole into memory: section contents (--add-section,
// --update-section), modules.order, .merkle proofs, 36-byte root files, signing keys and certificates.
// A regular file is required and its size is bounded, so a FIFO, a directory or /dev/zero given by
// mistake (or by an attacker) is an error instead of an endless read or an empty section.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "elf/error.h"
#include "elf/limits.h"

namespace elfhash {

Result<std::vector<uint8_t>> read_regular_file(const std::string& path, uint64_t max_size = elf::kMaxSmallFile);

}  // namespace elfhash
