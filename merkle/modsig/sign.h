// Appending a Merkle proof trailer to an installed module, as `modules_install` does with
// `cat $(objtree)/<stem>.merkle >> <module>` (spec §5.3), but atomically and refusing to stack trailers.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "elf/error.h"

namespace elfhash::merkle {

// Rewrites `module` in place as image + `trailer`. `trailer` must be a well-formed .merkle file
// (check_merkle_trailer). If the module already ends in the signature marker, fails unless `replace`,
// in which case the existing trailer (of any kind) is cut off first, using its struct to find the image.
Status sign_module(const std::string& module, std::span<const uint8_t> trailer, const std::string& trailer_name,
                   bool replace);

// Makes the trailer for a module image (the bytes the kernel will hash or verify, spec §7.2).
using TrailerMaker = std::function<Result<std::vector<uint8_t>>(std::span<const uint8_t> image)>;

// The general form: rewrites `module` atomically as image + make(image), with the same refusal of an
// existing trailer unless `replace` (then the image is what precedes the old trailer). sign --pkcs7
// uses it, since a PKCS#7 signature depends on the image.
Status append_trailer(const std::string& module, bool replace, const TrailerMaker& make);

}  // namespace elfhash::merkle
