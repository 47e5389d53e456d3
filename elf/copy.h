// One objcopy/strip job on one file: load, dump, edit, lay out, write atomically. Shared by the
// objcopy, strip and seal commands.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "elf/error.h"
#include "elf/mapped_file.h"
#include "elf/ops.h"
#include "elf/reader.h"
#include "elf/hexfile.h"
#include "elf/writer.h"

namespace elfhash::elf {

enum class OutputFormat { kElf, kBinary, kSrec, kIhex, kVerilog };

// --gap-fill and --pad-to of the image formats (binary, srec, ihex).
struct ImageOptions {
  std::optional<uint8_t> gap_fill;  // --gap-fill BYTE
  uint64_t pad_to = 0;              // --pad-to ADDR (0: none)
};

struct CopyJob {
  std::shared_ptr<MappedFile> input;  // the whole input file
  size_t image_size = 0;              // bytes of `input` that form the ELF file (trailer cut off)
  std::optional<ElfFile> parsed;      // those bytes already parsed (the CLI's checks); else parsed here
  std::string output;                 // path; may equal the input path (atomic replace)
  uint32_t mode = 0644;
  OutputFormat format = OutputFormat::kElf;
  ImageOptions image;  // -O binary/srec/ihex: --gap-fill, --pad-to
  std::string srec_header;  // -O srec: the name in the S0 record (binutils: the output path as given)
  SrecOptions srec;
  unsigned verilog_width = 1;  // -O verilog --verilog-data-width
  bool fsync = false;  // --fsync: the output and its directory entry are durable when run_copy returns
};

Status run_copy(const CopyJob& job, const CopyOptions& opt);
// The output bytes in memory (seal, tests).
Result<std::vector<uint8_t>> copy_to_memory(std::span<const uint8_t> elf_bytes, const std::string& name,
                                            const CopyOptions& opt);

// `-O binary`: the loadable contents of the kept allocated sections, placed by load address
// relative to the lowest one (GNU objcopy's binary output), gaps zero-filled. A plan of pieces, so
// a 400 MB vmlinux image is written by copying ranges of the input, never held in memory.
Result<struct OutputPlan> binary_plan(const class Object& o, const ImageOptions& img);
// `-O srec` / `-O ihex`: the same sections as S-records or Intel HEX records (elf/hexfile.h), with
// the entry point as start address.
Result<struct OutputPlan> srec_plan(const class Object& o, std::string_view header, SrecOptions opt,
                                    const ImageOptions& img);
Result<struct OutputPlan> ihex_plan(const class Object& o, const ImageOptions& img);
Result<struct OutputPlan> verilog_plan(const class Object& o, const ImageOptions& img, unsigned width);

}  // namespace elfhash::elf
