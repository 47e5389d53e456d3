// modules.order as the kernel's scripts/modules-merkle-tree reads it (spec §2.3, §6.3): one object per
// line in build order, each ending in ".o"; a line's 0-based index is the module's leaf position.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "elf/error.h"

namespace elfhash::merkle {

// Stems ("drivers/foo/bar" for "drivers/foo/bar.o"), in file order, no sorting or de-duplication.
// Only a trailing '\n' is removed from each line; a line not ending in ".o" (including an empty line)
// is an error "'LINE' does not end in '.o'" with the line's byte offset.
Result<std::vector<std::string>> parse_modules_order(std::string_view text, const std::string& name);
Result<std::vector<std::string>> read_modules_order(const std::string& path);

// "dir/stem" (or `stem` alone when dir is empty or "." or stem is absolute).
std::string join_path(const std::string& dir, const std::string& stem);

}  // namespace elfhash::merkle
