// Filling vmlinux's .module_hashes (spec §4.3 item 4, §10.3): the 36 bytes are overwritten in place in
// a copy of the file, like `objcopy --update-section .module_hashes=FILE.bin`, but without rewriting
// anything else: size, flags, address, segment mapping and every other byte stay as they were.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "elf/error.h"
#include "elf/reader.h"

namespace elfhash::merkle {

struct ModuleHashesSection {
  uint32_t index = 0;
  uint64_t offset = 0;  // file offset of the contents
};

// The unique .module_hashes section: it must exist, not be SHT_NOBITS and hold exactly 36 bytes.
Result<ModuleHashesSection> find_module_hashes(const elf::ElfFile& elf);

// Writes `out` (atomically; may equal the input path) as a copy of `elf` with the section's contents
// replaced by `content` (36 bytes). The output keeps the input's permission bits.
Status patch_module_hashes(const elf::ElfFile& elf, std::span<const uint8_t> content, const std::string& out);

}  // namespace elfhash::merkle
