// Appending a Merkle proof trailer to an installed module, as `modules_install` does with
// `cat $(objtree)/<stem>.merkle >> <module>` (spec §5.3), but atomically and refusing to stack trailers.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "elf/error.h"

namespace elfhash::merkle {

// Rewrites `module` in place as image + `trailer`. `trailer` must be a well-formed .merkle file
// (check_merkle_trailer). If the module already ends in the signature marker, fails unless `replace`,
// in which case the existing trailer (of any kind) is cut off first, using its struct to find the image.
Status sign_module(const std::string& module, std::span<const uint8_t> trailer, const std::string& trailer_name,
                   bool replace);

}  // namespace elfhash::merkle
