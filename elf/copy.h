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
#include "elf/srec.h"
#include "elf/writer.h"

namespace elfhash::elf {

enum class OutputFormat { kElf, kBinary, kSrec };

struct CopyJob {
  std::shared_ptr<MappedFile> input;  // the whole input file
  size_t image_size = 0;              // bytes of `input` that form the ELF file (trailer cut off)
  std::optional<ElfFile> parsed;      // those bytes already parsed (the CLI's checks); else parsed here
  std::string output;                 // path; may equal the input path (atomic replace)
  uint32_t mode = 0644;
  OutputFormat format = OutputFormat::kElf;
  uint64_t pad_to = 0;  // -O binary --pad-to: the image extends (zero-filled) to this load address
  std::string srec_header;  // -O srec: the name in the S0 record (binutils: the output path as given)
  SrecOptions srec;
  bool fsync = false;  // --fsync: the output and its directory entry are durable when run_copy returns
};

Status run_copy(const CopyJob& job, const CopyOptions& opt);
// The output bytes in memory (seal, tests).
Result<std::vector<uint8_t>> copy_to_memory(std::span<const uint8_t> elf_bytes, const std::string& name,
                                            const CopyOptions& opt);

// `-O binary`: the loadable contents of the kept allocated sections, placed by load address
// relative to the lowest one (GNU objcopy's binary output), gaps zero-filled. A plan of pieces, so
// a 400 MB vmlinux image is written by copying ranges of the input, never held in memory.
Result<struct OutputPlan> binary_plan(const class Object& o, uint64_t pad_to);
// `-O srec`: the same sections as S-records (elf/srec.h), with the entry point as start address.
struct OutputPlan srec_plan(const class Object& o, std::string_view header, SrecOptions opt);

}  // namespace elfhash::elf
