// Hostile-input-safe ELF reader. parse() validates everything later accessors rely on (header,
// extended numbering, section/program header tables, every section's file range, section names), so
// accessors on a parsed file cannot read out of bounds. Symbol, string and relocation tables are
// validated when decoded, because most commands never need them.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "elf/error.h"
#include "elf/mapped_file.h"
#include "elf/reloc.h"
#include "elf/types.h"

namespace elfhash::elf {

// A decoded SHT_GROUP section: the flag word (GRP_COMDAT) and the member section indices.
struct Group {
  uint32_t flags = 0;
  std::vector<uint32_t> members;
};

class ElfFile {
 public:
  static Result<ElfFile> open(const std::string& path);
  static Result<ElfFile> parse(std::shared_ptr<MappedFile> file);

  const FileHeader& header() const { return hdr_; }
  Class cls() const { return static_cast<Class>(hdr_.ident[4]); }
  Endian endian() const { return static_cast<Endian>(hdr_.ident[5]); }
  bool is64() const { return cls() == Class::k64; }

  // Index 0 is the null section (or the extended-numbering carrier).
  const std::vector<SectionHeader>& sections() const { return shdrs_; }
  const std::vector<ProgramHeader>& segments() const { return phdrs_; }
  std::string_view section_name(uint32_t index) const { return names_[index]; }
  // The section's bytes in the file; empty for SHT_NOBITS. Bounds were checked by parse().
  std::span<const uint8_t> section_data(uint32_t index) const;
  std::optional<uint32_t> find_section(std::string_view name) const;

  // Symbols of a SHT_SYMTAB/SHT_DYNSYM section, st_shndx resolved through SHT_SYMTAB_SHNDX.
  Result<std::vector<Symbol>> symbols(uint32_t symtab_index) const;
  // The NUL-terminated string at `offset` of string table `strtab_index`.
  Result<std::string_view> string_at(uint32_t strtab_index, uint32_t offset) const;
  // Entries of a SHT_REL/SHT_RELA section. sh_link must name a symbol table (or be 0, then every entry's
  // symbol must be 0), sh_info must be a section index, and every symbol index must be in that table.
  Result<std::vector<Relocation>> relocations(uint32_t index) const;
  // The checks of relocations() without keeping the entries: no memory per entry (a vmlinux has ~13M).
  Status check_relocations(uint32_t index) const;
  // Flag word and member section indices of a SHT_GROUP section (members checked to be in range and
  // not the group itself; sh_link must be a symbol table and sh_info a symbol in it).
  Result<Group> group(uint32_t index) const;
  // Names of every symbol of symbol table `symtab_index`, in symbol order. Linear in the sizes of the
  // two tables however the names overlap (string_at() costs the length of the one string).
  Result<std::vector<std::string_view>> symbol_names(uint32_t symtab_index) const;
  // Decodes every symbol table (with all symbol names), relocation section and group, so a caller can
  // reject a malformed file before doing any work. Time and memory linear in the file size.
  Status check_tables() const;
  // Index of the SHT_SYMTAB section, if any (a file has at most one).
  std::optional<uint32_t> symtab_index() const;
  // SHT_SYMTAB_SHNDX section whose sh_link is `symtab`, if any.
  std::optional<uint32_t> shndx_index_for(uint32_t symtab) const;

  const std::string& path() const { return file_->path(); }
  std::span<const uint8_t> bytes() const { return file_->bytes(); }
  const std::shared_ptr<MappedFile>& file() const { return file_; }

  // Sizes of the on-disk records for this file's class.
  size_t ehdr_size() const { return is64() ? 64 : 52; }
  size_t shdr_size() const { return is64() ? 64 : 40; }
  size_t phdr_size() const { return is64() ? 56 : 32; }
  size_t sym_size() const { return is64() ? 24 : 16; }
  // The codec of this file's SHT_REL (rela = false) or SHT_RELA entries (elf/reloc.h).
  RelocCodec reloc_codec(bool rela) const { return RelocCodec(cls(), endian(), hdr_.machine, rela); }
  // File offset of section header `index` (e_shoff + index * e_shentsize): where errors about a
  // section point.
  uint64_t shdr_offset(uint32_t index) const { return hdr_.shoff + uint64_t{index} * hdr_.shentsize; }

 private:
  Error err(uint64_t offset, std::string msg) const { return make_error(path(), offset, std::move(msg)); }
  Status parse_header();
  Status parse_sections();
  Status parse_segments();
  Status parse_names();
  Status check_overlaps() const;
  void index_sections();
  Status check_symtab_link(uint32_t index, uint32_t link, uint64_t* count) const;
  template <class Visit>
  Status scan_relocations(uint32_t index, Visit&& visit) const;

  std::shared_ptr<MappedFile> file_;
  FileHeader hdr_;
  std::vector<SectionHeader> shdrs_;
  std::vector<ProgramHeader> phdrs_;
  std::vector<std::string_view> names_;
  uint32_t symtab_ = 0;             // first SHT_SYMTAB, 0 if none
  std::vector<uint32_t> shndx_of_;  // [symtab] = its SHT_SYMTAB_SHNDX (first one), 0 if none
};

// Decoders for single records (also used by the writer's tests and by the fuzzers).
SectionHeader decode_shdr(const uint8_t* p, Class c, Endian e);
ProgramHeader decode_phdr(const uint8_t* p, Class c, Endian e);

// True when [offset, offset+size) lies inside a file of `file_size` bytes (overflow-safe).
inline bool in_bounds(uint64_t offset, uint64_t size, uint64_t file_size) {
  return offset <= file_size && size <= file_size - offset;
}

}  // namespace elfhash::elf
