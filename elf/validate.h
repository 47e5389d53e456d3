// Full validation of an ELF file the reader has parsed, before a command trusts its tables
// (docs/threat-model.md). ElfFile::parse() checks headers and section ranges; this decodes every symbol
// table (with names), relocation section and group, and bounds values the writer would size output
// from. Shared by objcopy/strip/seal (elf/copy.cc) and inspect (elf/summary.cc).
#pragma once

#include "elf/error.h"
#include "elf/reader.h"

namespace elfhash::elf {

// Refuses exactly what ElfFile::check_tables() refuses, with the same messages, plus sh_addralign above
// 4 GiB. Unlike check_tables() it never materialises relocations, so a 600 MB vmlinux with 12.6M of
// them costs a linear scan and no heap (pages of the mapping it read are released as it goes).
Status validate_tables(const ElfFile& elf);

}  // namespace elfhash::elf
