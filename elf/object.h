// The editable model of an ELF file. Sections refer to each other by pointer (sh_link, sh_info,
// relocation targets, group members) and symbols refer to their section by pointer, so removing or
// reordering sections never leaves a stale index: indices are assigned only when writing.
// Contents are spans into the mmapped input unless an operation replaced them.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "elf/error.h"
#include "elf/reader.h"
#include "elf/target.h"
#include "elf/types.h"

namespace elfhash::elf {

struct Section {
  std::string name;
  SectionHeader hdr;     // type/flags/addr/addralign/entsize as they will be written; offset = input offset
  uint32_t in_index = 0;  // index in the input file; 0 for sections added by an operation
  std::span<const uint8_t> data;  // file contents (empty for SHT_NOBITS)
  std::shared_ptr<std::vector<uint8_t>> owned;  // backing store when contents were replaced
  Section* link = nullptr;          // sh_link as a section (nullptr when 0)
  Section* info_section = nullptr;  // sh_info as a section (REL/RELA target, SHF_INFO_LINK)
  bool removed = false;
  bool contents_changed = false;
  // hdr.link and hdr.info are written as they are, not renumbered (--only-keep-debug's NOBITS
  // sections; SHF_LINK_ORDER's link is still renumbered, as binutils does).
  bool raw_links = false;
  // The load address an option gave it (--change-section-lma and friends): the -O binary and -O srec
  // images place it there. Unset: it follows from its address and the PT_LOAD holding it.
  std::optional<uint64_t> lma;

  bool is_alloc() const { return hdr.flags & SHF_ALLOC; }
  bool is_nobits() const { return hdr.type == SHT_NOBITS; }
  bool is_reloc() const { return hdr.type == SHT_REL || hdr.type == SHT_RELA; }
  uint64_t size() const { return is_nobits() ? hdr.size : data.size(); }
  void set_contents(std::vector<uint8_t> bytes);
};

// A .symtab entry; the null symbol is not stored.
struct Sym {
  std::string_view name;
  uint64_t value = 0, size = 0;
  uint8_t info = 0, other = 0;
  Section* section = nullptr;  // defining section, or nullptr for special indices
  uint32_t special = 0;        // SHN_UNDEF / SHN_ABS / SHN_COMMON / other reserved index when section is null
  uint32_t in_index = 0;
  bool removed = false;
  bool common = false;  // SHN_COMMON, or the machine's other common index (TargetRules::extra_common)

  uint8_t bind() const { return st_bind(info); }
  uint8_t type() const { return st_type(info); }
  bool is_undefined() const { return section == nullptr && special == SHN_UNDEF; }
  bool is_common() const { return section == nullptr && common; }
};

// What a section's contents and header refer to, answered in one place for the whole engine
// (docs/elf-engine.md, "Section kinds"): the operations, the writer and the symbol filter ask this
// instead of testing section types themselves.
struct SectionKind {
  // Rebuilt by the writer like binutils (.symtab, its .strtab, .shstrtab, SHT_SYMTAB_SHNDX, attached
  // relocation sections): never matched by -R/-j, never copied.
  bool regenerated = false;
  // One of the string tables the writer rebuilds (.shstrtab, .symtab's .strtab): a kept section
  // cannot keep offsets into it.
  bool rebuilt_strings = false;
  // Contents hold .symtab indices that the writer renumbers (attached relocations; a group's
  // signature is its sh_info).
  bool symbol_indices = false;
  // Contents hold section indices that the writer renumbers (groups).
  bool section_indices = false;
  // Contents may hold .symtab indices in a form elfhash does not decode: SHT_CREL, or a section of
  // an unknown processor/application-specific type (SHT_LOPROC..SHT_HIUSER) linked to .symtab.
  // Written out unchanged they would be stale once symbols are renumbered, so that is refused.
  bool opaque_symbol_indices = false;
};

class Object {
 public:
  // Builds the model; the ElfFile (and its mapping) must outlive the Object.
  static Result<Object> load(const ElfFile& in);

  const ElfFile& input() const { return *in_; }
  const TargetRules& target() const { return *target_; }
  FileHeader header;
  std::vector<std::unique_ptr<Section>> sections;  // input order, without the null section
  std::vector<ProgramHeader> segments;
  Section* symtab = nullptr;    // the SHT_SYMTAB section, if any
  Section* shstrtab = nullptr;  // the input's section name table
  // .symtab entries 1..n in input order (symbols[i] is input symbol i + 1), then the symbols
  // --add-symbol appends last of all (ops.cc). One contiguous array: a vmlinux has ~120k symbols, and
  // per-symbol allocations showed up in profiles.
  std::vector<Sym> symbols;
  // Names the operations made (--prefix-symbols): Sym::name points into these or into the input.
  std::deque<std::string> owned_names;

  // The allocated sections no longer hold the input's bytes (--only-keep-debug made them NOBITS): the
  // writer lays them and the program headers out again as binutils does (elf/segment_layout.h)
  // instead of copying the input's loaded bytes.
  bool relayout_segments = false;
  // An option moved some section's address or load address (elf/ops.h CopyOptions::address_changes).
  bool addresses_changed = false;
  // Bytes the command line added (--add-section / --update-section contents), for the output bound.
  uint64_t added_bytes = 0;
  // The most bytes the output may have (elf/limits.h).
  uint64_t output_limit() const;

  bool is_relocatable() const { return header.type == ET_REL; }
  // BFD's LMA of a section (_bfd_elf_make_section_from_shdr): its address moved by the PT_LOAD whose
  // file bytes hold it (p_paddr - p_vaddr), unless an option set it (Section::lma).
  uint64_t load_address(const Section& s) const;
  Section* find(std::string_view name) const;
  // The section with input index `i`, or nullptr (0, out of range). O(1).
  Section* by_input_index(uint64_t i) const { return i < by_index_.size() ? by_index_[i] : nullptr; }
  // A relocation section that applies to another section through .symtab (binutils regenerates these
  // from the target's relocations, which fixes their place in the output; see layout.cc).
  bool is_attached_reloc(const Section& s) const;
  SectionKind kind(const Section& s) const;

 private:
  Status load_sections();
  Status load_symbols();
  const ElfFile* in_ = nullptr;
  const TargetRules* target_ = nullptr;
  std::vector<Section*> by_index_;  // input index -> section (nullptr for 0)
};

}  // namespace elfhash::elf
