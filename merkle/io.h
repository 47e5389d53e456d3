// Bounded reads of the small inputs (modules.order, .merkle, 36-byte root files): a regular file is
// required, so a FIFO or /dev/zero given by mistake is an error instead of an endless read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "elf/error.h"

namespace elfhash::merkle {

Result<std::vector<uint8_t>> read_regular_file(const std::string& path, uint64_t max_size);

}  // namespace elfhash::merkle
