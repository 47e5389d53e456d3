// The one relocation-entry codec: SHT_REL/SHT_RELA entries of either class, either byte order and
// every machine are decoded and encoded here and nowhere else (the reader, the operations, the
// writer and the comparison all go through it).
//
// r_info layouts (gABI, and the MIPS64 ABI supplement):
//   ELF32            r_info = sym << 8 | type (8-bit type)
//   ELF64            r_info = sym << 32 | type (32-bit type), one word in the file's byte order
//   ELF64 EM_MIPS    r_sym (32-bit word, file byte order), then the bytes r_ssym, r_type3, r_type2,
//                    r_type. On big-endian MIPS64 this happens to equal the ELF64 word; on
//                    little-endian (mips64el) it does not. Relocation::type holds the four bytes as
//                    r_ssym << 24 | r_type3 << 16 | r_type2 << 8 | r_type in both byte orders, so a
//                    mips64 and a mips64el entry of the same relocation decode to the same value.
#pragma once

#include <fmt/core.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "elf/bytes.h"
#include "elf/types.h"

namespace elfhash::elf {

// The error for an entry naming a symbol beyond .symtab, in GNU's words after the relocation
// section's name (elfcode.h elf_slurp_reloc_table_from_section: "relocation %d has invalid symbol
// index %ld"), which binutils' own testsuite (strip-14) and scripts match.
inline std::string invalid_reloc_symbol(std::string_view section, uint64_t index, uint64_t sym) {
  return fmt::format("{}: relocation {} has invalid symbol index {}", section, index, sym);
}

class RelocCodec {
 public:
  RelocCodec(Class cls, Endian endian, uint16_t machine, bool rela)
      : is64_(cls == Class::k64), endian_(endian), mips64_(is64_ && machine == EM_MIPS), rela_(rela) {}

  bool rela() const { return rela_; }
  size_t entry_size() const { return is64_ ? (rela_ ? 24 : 16) : (rela_ ? 12 : 8); }
  // Largest symbol index the r_info field can hold.
  uint32_t max_symbol() const { return is64_ ? 0xffffffffu : 0xffffffu; }

  uint32_t symbol(const uint8_t* p) const {
    if (!is64_) return load<uint32_t>(p + 4, endian_) >> 8;
    if (mips64_) return load<uint32_t>(p + 8, endian_);
    return static_cast<uint32_t>(load<uint64_t>(p + 8, endian_) >> 32);
  }
  uint32_t type(const uint8_t* p) const {
    if (!is64_) return load<uint32_t>(p + 4, endian_) & 0xff;
    if (mips64_) return load_be32(p + 12);  // bytes r_ssym, r_type3, r_type2, r_type
    return static_cast<uint32_t>(load<uint64_t>(p + 8, endian_));
  }
  // Rewrites only the symbol index of the entry at p (sym <= max_symbol()); type bytes are kept.
  void set_symbol(uint8_t* p, uint32_t sym) const {
    if (!is64_) {
      store<uint32_t>(p + 4, endian_, (sym << 8) | (load<uint32_t>(p + 4, endian_) & 0xff));
    } else if (mips64_) {
      store<uint32_t>(p + 8, endian_, sym);
    } else {
      uint64_t v = load<uint64_t>(p + 8, endian_);
      store<uint64_t>(p + 8, endian_, (uint64_t{sym} << 32) | (v & 0xffffffffu));
    }
  }

  Relocation decode(const uint8_t* p) const {
    Relocation r;
    r.offset = is64_ ? load<uint64_t>(p, endian_) : load<uint32_t>(p, endian_);
    r.sym = symbol(p);
    r.type = type(p);
    if (rela_)
      r.addend = is64_ ? static_cast<int64_t>(load<uint64_t>(p + 16, endian_))
                       : static_cast<int32_t>(load<uint32_t>(p + 8, endian_));
    return r;
  }
  // Writes entry_size() bytes. ELF32 keeps the low 8 bits of r.type.
  void encode(const Relocation& r, uint8_t* p) const {
    if (is64_) {
      store<uint64_t>(p, endian_, r.offset);
      if (mips64_) store_be32(p + 12, r.type);
      else store<uint64_t>(p + 8, endian_, r.type);
      if (rela_) store<uint64_t>(p + 16, endian_, static_cast<uint64_t>(r.addend));
    } else {
      store<uint32_t>(p, endian_, static_cast<uint32_t>(r.offset));
      store<uint32_t>(p + 4, endian_, r.type & 0xff);
      if (rela_) store<uint32_t>(p + 8, endian_, static_cast<uint32_t>(r.addend));
    }
    set_symbol(p, r.sym);
  }

 private:
  bool is64_;
  Endian endian_;
  bool mips64_;
  bool rela_;
};

}  // namespace elfhash::elf
