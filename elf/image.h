// The image outputs of objcopy: -O binary, srec, ihex and verilog. All four write the loadable
// sections at their load addresses; binutils' objcopy hands each backend the same contents (and
// the same gap fill), so one model here feeds them all (docs/formats.md §13-§15, docs/cli.md).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "elf/error.h"
#include "elf/hexfile.h"
#include "elf/writer.h"

namespace elfhash::elf {

class Object;

enum class OutputFormat { kElf, kBinary, kSrec, kIhex, kVerilog };

// The options of the image formats, validated by the CLI as binutils' copy_main does.
struct ImageOptions {
  std::optional<uint8_t> gap_fill;  // --gap-fill BYTE
  uint64_t pad_to = 0;              // --pad-to ADDR (0: none)
  // -i/--interleave N, -b/--byte B, --interleave-width W: keep W bytes of every N, from byte B.
  int interleave = 0, copy_byte = -1, copy_width = 1;
  unsigned reverse_bytes = 0;  // --reverse-bytes N (-I binary; ELF inputs are reversed by the ops)
  SrecOptions srec;            // --srec-len, --srec-forceS3
  std::string srec_header;     // the S0 record's name: binutils' output file name as given
  unsigned verilog_width = 1;  // --verilog-data-width
};

// One section as copy_object and copy_section see it: `lma` and `size` are setup_section's (gap
// filling sorts and grows by them), `out_lma` is where copy_section puts `bytes` (interleaving
// divides the address). `in_off` >= 0: the bytes are the input file's from that offset.
struct ImageSection {
  std::string_view name;
  uint64_t lma = 0, size = 0, out_lma = 0;
  std::span<const uint8_t> bytes;
  int64_t in_off = -1;
};

struct ImageInput {
  std::vector<ImageSection> sections;  // the loadable ones (allocated, with contents), output order
  uint64_t start = 0;                  // the start address (srec, ihex)
  bool little_endian = true;           // verilog words follow the input's byte order
  std::string path;                    // for errors
  uint64_t limit = 0;                  // output bound (elf/limits.h)
};

// An ELF file's loadable sections after the edit.
ImageInput object_image(const Object& o);
// objcopy -I binary: the whole file as one section .data at address 0.
ImageInput binary_input_image(std::span<const uint8_t> bytes, std::string path, int64_t in_off);

// The output in `format` (not kElf). Buffers the plan refers to live in the plan.
Result<OutputPlan> image_plan(ImageInput in, OutputFormat format, const ImageOptions& opt);

}  // namespace elfhash::elf
