// Layout and encoding of an Object into an output file.
//
// Layout rules (docs/elf-engine.md): in a file with program headers, every allocated section keeps
// its offset, so no allocated byte moves and segments stay valid (bytes outside every section are
// zeros, as BFD writes them), and the program headers are the ones binutils computes for that layout
// (elf/segment_layout.h); --only-keep-debug, whose sections lose their bytes, has the segments laid
// out again as binutils does. Everything else is packed after that in the order GNU binutils uses: remaining
// sections in index order (each aligned to sh_addralign), then .symtab, .symtab_shndx, .strtab, then
// the relocation sections, then .shstrtab, then the section header table. In a relocatable file the
// packing starts right after the ELF header. Symbol and string tables are always rebuilt the way
// binutils builds them, which makes the output independent of the input's table layout.
#pragma once

#include <deque>
#include <span>
#include <string>
#include <vector>

#include "elf/error.h"
#include "elf/mapped_file.h"
#include "elf/object.h"

namespace elfhash::elf {

// One run of output bytes: copied from the input file (in_off >= 0) or from `bytes`.
struct Piece {
  uint64_t out_off = 0;
  uint64_t size = 0;
  int64_t in_off = -1;
  std::span<const uint8_t> bytes;
};

struct OutputPlan {
  uint64_t size = 0;
  std::vector<Piece> pieces;  // applied in order; later pieces overwrite earlier ones
  std::deque<std::vector<uint8_t>> buffers;
};

Result<OutputPlan> plan_output(Object& o);
// The output bytes in memory (tests, fuzzers, small files).
std::vector<uint8_t> render(const OutputPlan& plan, std::span<const uint8_t> input);
// Writes the output atomically to `path` with permissions `mode`.
// Writes the plan to `path` atomically (elf/atomic_file.h). Before the output replaces anything, the
// input is checked to be the file it was when opened (MappedFile::check_unchanged): a change during the
// run is an error and nothing is installed.
Status write_plan(const OutputPlan& plan, const MappedFile& input, const std::string& path, uint32_t mode,
                  bool fsync = false);

}  // namespace elfhash::elf
