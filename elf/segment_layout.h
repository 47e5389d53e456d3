// Lays out again the allocated sections of a file with program headers, and recomputes the program
// headers, when those sections no longer occupy the bytes they did: --only-keep-debug turns them into
// SHT_NOBITS. binutils 2.40 then keeps the input's segment list and recomputes every offset and size
// (bfd/elf.c: copy_elf_program_header, assign_file_positions_for_load_sections, and the segment half
// of assign_file_positions_for_non_load_sections); this module follows those three functions for the
// case objcopy reaches them in (no linker script, a section in every segment it covered, addresses
// unchanged). docs/elf-engine.md, "Segment layout", says which rule comes from where.
//
// Anything outside that case (a section an input segment covered is removed, an allocated section in
// no PT_LOAD, a non-allocated section inside a segment, a segment binutils would reject) is an error
// rather than a guess: the caller reports it and writes nothing.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "elf/error.h"
#include "elf/reader.h"
#include "elf/types.h"

namespace elfhash::elf {

// One section of the output, in output index order.
struct LaidOutSection {
  const SectionHeader* in = nullptr;  // its header in the input: decides which segments hold it
  SectionHeader* out = nullptr;       // its output header: the layout sets offset (and, in PT_NOTE, type)
  uint32_t in_index = 0;              // input section index, for error offsets
  std::string_view name;
};

struct SegmentLayout {
  std::vector<ProgramHeader> phdrs;  // in the input's order (kRewrite: of the maps it builds)
  uint64_t phoff = 0;
  uint64_t end = 0;  // the first file offset after the loadable sections' contents
};

// kCopy: binutils keeps the input's segment list (copy_elf_program_header). kRewrite: it builds the
// list again (rewrite_elf_program_header); the output may have fewer program headers (PT_GNU_RELRO
// goes) and other alignments.
enum class SegmentMode { kCopy, kRewrite };

// bfd/elf.c copy_private_bfd_data's choice, made before objcopy adds sections (setup_bfd_headers
// runs before --add-section and --add-gnu-debuglink): rewrite when a section inside an input
// segment was removed, or its flags, alignment or address changed.
SegmentMode segment_mode(const ElfFile& in, std::span<const LaidOutSection> sections);

// `sections` must hold every section of the output that came from the input or was added (not the
// rebuilt .symtab, .strtab and .shstrtab), in output order.
Result<SegmentLayout> lay_out_segments(const ElfFile& in, std::span<LaidOutSection> sections, SegmentMode mode);

}  // namespace elfhash::elf
