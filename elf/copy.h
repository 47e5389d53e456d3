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
#include "elf/image.h"
#include "elf/writer.h"

namespace elfhash::elf {

struct CopyJob {
  std::shared_ptr<MappedFile> input;  // the whole input file
  size_t image_size = 0;              // bytes of `input` that form the ELF file (trailer cut off)
  std::optional<ElfFile> parsed;      // those bytes already parsed (the CLI's checks); else parsed here
  std::string output;                 // path; may equal the input path (atomic replace)
  uint32_t mode = 0644;
  OutputFormat format = OutputFormat::kElf;
  ImageOptions image;   // -O binary/srec/ihex/verilog (elf/image.h)
  bool binary_input = false;  // -I binary: the input is raw bytes, not ELF
  std::string binary_target, binary_arch;  // with ELF output: the -O target and -B (elf/binary_object.h)
  bool fsync = false;  // --fsync: the output and its directory entry are durable when run_copy returns
};

Status run_copy(const CopyJob& job, const CopyOptions& opt);
// The output bytes in memory (seal, tests).
Result<std::vector<uint8_t>> copy_to_memory(std::span<const uint8_t> elf_bytes, const std::string& name,
                                            const CopyOptions& opt);
// The same in an image format (not kElf): from an ELF file, or with `binary_input` from raw bytes.
// `limit`, when not 0, lowers the output bound (the fuzzer keeps each run small with it).
Result<std::vector<uint8_t>> image_to_memory(std::span<const uint8_t> bytes, const std::string& name,
                                             const CopyOptions& opt, OutputFormat format, const ImageOptions& img,
                                             bool binary_input, uint64_t limit = 0);

}  // namespace elfhash::elf
