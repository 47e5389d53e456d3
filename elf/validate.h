// Full validation of an ELF file the reader has parsed, before a command trusts its tables
// (docs/threat-model.md). ElfFile::parse() checks headers and section ranges; these decode every symbol
// table (with names), group and relocation section, and bound values the writer would size output
// from. Shared by objcopy/strip/seal (elf/copy.cc) and inspect (elf/summary.cc). Together they refuse
// exactly what ElfFile::check_tables() refuses, with the same messages, plus sh_addralign above 4 GiB.
#pragma once

#include <functional>

#include "elf/error.h"
#include "elf/reader.h"

namespace elfhash::elf {

// Symbol tables (names included), groups and section alignments.
Status validate_tables(const ElfFile& elf);

// Relocation sections, entry by entry without allocating. `wanted(i)` false skips section i: an edit
// that drops a relocation section never reads it and nothing of it reaches the output, and skipping
// the ~300 MB of .rela.* that kbuild's vmlinux objcopy removes is most of that command's CPU time.
Status validate_relocations(const ElfFile& elf, const std::function<bool(uint32_t)>& wanted = {});

}  // namespace elfhash::elf
