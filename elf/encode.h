// Encoders for ELF records in the file's class and byte order (inverse of the reader's decoders).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "elf/types.h"

namespace elfhash::elf {

struct Format {
  Class cls;
  Endian endian;
  bool is64() const { return cls == Class::k64; }
  size_t ehdr_size() const { return is64() ? 64 : 52; }
  size_t shdr_size() const { return is64() ? 64 : 40; }
  size_t sym_size() const { return is64() ? 24 : 16; }
  uint64_t file_align() const { return is64() ? 8 : 4; }
};

// Writes the ELF header; counts >= the 16-bit limits must already be escaped by the caller.
void encode_ehdr(const FileHeader& h, uint16_t shnum_field, uint16_t shstrndx_field, uint16_t phnum_field,
                 Format f, uint8_t* out);
void encode_shdr(const SectionHeader& s, Format f, uint8_t* out);
// st_shndx is the 16-bit field value (SHN_XINDEX when the real index lives in SHT_SYMTAB_SHNDX).
void encode_sym(uint32_t name, uint8_t info, uint8_t other, uint16_t shndx, uint64_t value, uint64_t size,
                Format f, uint8_t* out);
void encode_phdr(const ProgramHeader& p, Format f, uint8_t* out);

}  // namespace elfhash::elf
