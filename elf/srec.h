// Motorola S-records, as binutils 2.40 writes them (bfd/srec.c): objcopy -O srec. docs/formats.md §13.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace elfhash::elf {

// One section's loadable bytes at its load address, in the order objcopy hands them to the srec
// backend (output section order).
struct SrecChunk {
  uint64_t where = 0;
  std::span<const uint8_t> bytes;
};

struct SrecOptions {
  unsigned record_len = 16;  // --srec-len: data bytes per record (bfd's _bfd_srec_len)
  bool force_s3 = false;     // --srec-forceS3
};

// The whole file: an S0 record naming `header` (its first 40 bytes; binutils puts the output file
// name there), the data records sorted by address, and the S7/S8/S9 record holding `start`.
std::vector<uint8_t> encode_srec(std::span<const SrecChunk> chunks, std::string_view header, uint64_t start,
                                 SrecOptions opt);

}  // namespace elfhash::elf
