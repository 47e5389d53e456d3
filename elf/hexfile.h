// The text image formats of objcopy -O srec, -O ihex and -O verilog: Motorola S-records, Intel HEX and
// Verilog hex, as binutils 2.40 writes them (bfd/srec.c, bfd/ihex.c, bfd/verilog.c). docs/formats.md
// §13 to §15.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace elfhash::elf {

// One section's loadable bytes at its load address, in the order objcopy hands them to the backend
// (output section order).
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

// Intel HEX: the data records (16 bytes, never across a 64 KiB boundary) after an extended segment
// address record (type 02) for addresses below 1 MiB, else an extended linear address record (04);
// a start address record (03 below 1 MiB, else 05) when `start` is not 0; the end record (01).
// Returns an error message for an address that does not fit 32 bits (binutils: "out of range").
struct IhexResult {
  std::vector<uint8_t> bytes;
  std::string error;
};
IhexResult encode_ihex(std::span<const SrecChunk> chunks, uint64_t start);

// Verilog memory dumps (`$readmemh` input): per piece an "@ADDRESS" line (the load address divided by
// `width`, 8 hex digits, 16 from 2^32 on), then lines of up to 16 bytes grouped in words of `width`
// bytes (1, 2, 4, 8 or 16), each word in the input's byte order. A piece whose address is not a
// multiple of `width` is an error (binutils: invalid operation).
IhexResult encode_verilog(std::span<const SrecChunk> chunks, unsigned width, bool little_endian);

}  // namespace elfhash::elf
