#include "elf/writer.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <system_error>
#include <thread>
#include <unordered_map>

#include "elf/atomic_file.h"
#include "elf/cleanup.h"
#include "elf/bytes.h"
#include "elf/encode.h"
#include "elf/limits.h"
#include "elf/segment_layout.h"
#include "elf/strtab.h"

namespace elfhash::elf {
namespace {

constexpr uint32_t kShndxThreshold = 0xfefe;  // binutils: (SHN_LORESERVE - 2) & 0xffff
constexpr uint32_t kPnXnum = 0xffff;
constexpr uint64_t kSmallOutput = 64ull << 20;

// Early-copy ranges in output order (what EarlyCopy::ranges and pieces_covered work in).
void sort_by_output(std::vector<EarlyCopy::Range>& ranges) {
  std::sort(ranges.begin(), ranges.end(), [](const auto& a, const auto& b) { return a.out_off < b.out_off; });
}

uint64_t align_up(uint64_t v, uint64_t a) {
  if (a <= 1) return v;
  a &= ~a + 1;  // lowest set bit, as binutils does for non-power-of-two alignments
  return (v + a - 1) & ~(a - 1);
}

// binutils stores alignment as a power of two, rounding up; 0 becomes 1. It writes the largest power
// of two that divides both that and the section's address (bfd/elf.c elf_fake_sections: "consistent
// with the section VMA"; objcopy sets every output section's VMA, so this holds for non-allocated
// ones too): --set-section-alignment .text=64 on a .text at 0x1050 gives 16.
uint64_t normalized_align(uint64_t a, uint64_t addr) {
  uint64_t p = 1;
  while (p < a && p < (uint64_t{1} << 63)) p <<= 1;
  const uint64_t mask = p | addr;
  return mask & (~mask + 1);
}

// The sh_entsize binutils writes for a section type, whatever the input said (bfd/elf.c
// elf_fake_sections), or nullopt where it keeps the input's. Relocation sections are encoded by the
// writer itself; NOBITS keeps the input's value.
std::optional<uint64_t> bfd_entsize(uint32_t type, const Format& f, const TargetRules& t) {
  switch (type) {
    case SHT_INIT_ARRAY:
    case SHT_FINI_ARRAY:
    case SHT_PREINIT_ARRAY: return f.is64() ? 8 : 4;
    case SHT_HASH: return f.is64() ? t.hash_entry_size64 : 4;
    case SHT_DYNSYM: return f.sym_size();
    case SHT_DYNAMIC: return f.is64() ? 16 : 8;
    case SHT_GNU_versym: return 2;
    case SHT_GNU_verdef:
    case SHT_GNU_verneed: return 0;
    case SHT_GROUP: return 4;
    case SHT_GNU_HASH: return f.is64() ? 0 : 4;
    default: return std::nullopt;
  }
}

struct OutSection {
  Section* src = nullptr;  // nullptr for the synthesized tables
  SectionHeader hdr;
  std::span<const uint8_t> bytes;  // contents when not copied from the input
  int64_t in_off = -1;            // contents copied from the input at this offset
  bool fixed = false;             // keeps its input offset (allocated, in a file with segments)
  bool deferred = false;          // relocation section: placed after the symbol tables
  std::string_view name;
  uint32_t name_handle = 0;
};

// Output index of each section (0 = not written): a flat array by input index, so the per-symbol
// lookup is an array read, plus a map for the few sections an operation added.
class SectionIndex {
 public:
  explicit SectionIndex(size_t input_sections) : by_in_(input_sections, 0) {}
  void set(const Section* s, uint32_t out) {
    if (s->in_index)
      by_in_[s->in_index] = out;
    else
      added_[s] = out;
  }
  uint32_t get(const Section* s) const {
    if (s->in_index) return by_in_[s->in_index];
    auto it = added_.find(s);
    return it == added_.end() ? 0 : it->second;
  }

 private:
  std::vector<uint32_t> by_in_;
  std::unordered_map<const Section*, uint32_t> added_;
};

class Planner {
 public:
  Planner(Object& o, EarlyCopy* early)
      : o_(o), f_{o.input().cls(), o.input().endian()}, index_(o.input().sections().size()), early_(early) {}
  Result<OutputPlan> run();

 private:
  Error err(const Section* s, std::string msg) const {
    uint64_t off = s && s->in_index ? o_.input().shdr_offset(s->in_index) : kNoOffset;
    return make_error(o_.input().path(), off, std::move(msg));
  }
  void order_sections();
  void number_sections();
  bool symtab_needed() const;
  Status build_symbols();
  Status encode_relocs(OutSection& os);
  Status renumber_reloc_symbols(OutSection& os);
  Status encode_group(OutSection& os);
  Status resolve_links(OutSection& os);
  Status raw_links(OutSection& os);
  Status check_dynsym_indices() const;
  bool writes_section_contents() const;
  void build_shstrtab();
  Status layout();
  uint64_t packed_start(std::span<const ProgramHeader> segments) const;
  uint64_t place_packed(OutSection& os, uint64_t off) const;
  Result<std::vector<EarlyCopy::Range>> early_ranges();
  Result<std::optional<std::vector<ProgramHeader>>> kept_program_headers();
  Result<uint64_t> relayout_segments();
  std::vector<LaidOutSection> layout_inputs(std::vector<SectionHeader>* copies);
  Status adopt_bfd_program_headers();
  Status check_segments_fit() const;
  Status check_size(const OutSection* os, uint64_t end) const;
  void emit();
  std::vector<uint8_t>& buffer() { return plan_.buffers.emplace_back(); }
  Result<uint32_t> out_index_of(const Section* s, const Section* from) const;

  Object& o_;
  Format f_;
  OutputPlan plan_;
  SectionIndex index_;
  std::vector<Section*> order_;
  std::unordered_map<const Section*, std::vector<Section*>> relocs_of_;
  std::vector<OutSection> out_;  // index 0 = null section
  bool has_symtab_ = false, need_shndx_ = false;
  uint32_t symtab_idx_ = 0, shndx_idx_ = 0, strtab_idx_ = 0, shstrtab_idx_ = 0;
  std::vector<uint32_t> sym_out_;  // input symbol index -> output index (0 = removed)
  bool syms_identity_ = true;
  StringTable shstr_;
  uint64_t shoff_ = 0;
  // The allocated sections changed type (--only-keep-debug): they and the program headers are laid
  // out again (elf/segment_layout.h) instead of keeping the input's bytes.
  bool relayout_ = false;
  uint64_t phoff_ = 0;
  bool wrote_contents_ = false;  // writes_section_contents()
  EarlyCopy* early_ = nullptr;
};

bool regenerated(const Object& o, const Section& s) { return o.kind(s).regenerated; }

void Planner::order_sections() {
  for (auto& s : o_.sections)
    if (!s->removed && o_.is_attached_reloc(*s) && !s->info_section->removed)
      relocs_of_[s->info_section].push_back(s.get());
  auto push = [&](Section* s) {
    order_.push_back(s);
    if (auto it = relocs_of_.find(s); it != relocs_of_.end())
      for (Section* r : it->second) order_.push_back(r);
  };
  // binutils numbers SHT_GROUP sections first in relocatable output.
  bool groups_first = o_.is_relocatable();
  if (groups_first)
    for (auto& s : o_.sections)
      if (!s->removed && !regenerated(o_, *s) && s->hdr.type == SHT_GROUP) push(s.get());
  for (auto& s : o_.sections)
    if (!s->removed && !regenerated(o_, *s) && !(groups_first && s->hdr.type == SHT_GROUP)) push(s.get());
}

void Planner::number_sections() {
  out_.resize(1);
  for (Section* s : order_) {
    index_.set(s, static_cast<uint32_t>(out_.size()));
    OutSection os;
    os.src = s;
    os.hdr = s->hdr;
    if (auto es = bfd_entsize(s->hdr.type, f_, o_.target())) os.hdr.entsize = *es;
    os.name = s->name;
    os.deferred = o_.is_attached_reloc(*s);
    os.fixed = !o_.segments.empty() && s->is_alloc() && s->in_index != 0;
    out_.push_back(os);
  }
  uint32_t next = static_cast<uint32_t>(out_.size());
  has_symtab_ = o_.symtab != nullptr && symtab_needed();
  if (has_symtab_) {
    symtab_idx_ = next++;
    need_shndx_ = next > kShndxThreshold;
    if (need_shndx_) shndx_idx_ = next++;
    strtab_idx_ = next++;
  }
  shstrtab_idx_ = next++;
  out_.resize(next);
  if (has_symtab_) {
    index_.set(o_.symtab, symtab_idx_);
    if (o_.symtab->link) index_.set(o_.symtab->link, strtab_idx_);
  }
  if (o_.shstrtab && !index_.get(o_.shstrtab)) index_.set(o_.shstrtab, shstrtab_idx_);
}

// binutils writes .symtab only when it has a symbol, or in a relocatable file that still has
// relocations (bfd/elf.c assign_section_numbers: need_symtab, with HAS_RELOC recomputed from the
// output's relocations), so a --strip-unneeded vdso or a -j .BTF vmlinux loses its empty .symtab.
bool Planner::symtab_needed() const {
  for (const auto& y : o_.symbols)
    if (!y.removed) return true;
  if (!o_.is_relocatable()) return false;
  for (Section* s : order_)
    if (o_.is_attached_reloc(*s) && s->data.size() > 0) return true;
  return false;
}

Result<uint32_t> Planner::out_index_of(const Section* s, const Section* from) const {
  uint32_t out = index_.get(s);
  if (out == 0)
    return err(from, fmt::format("section {} refers to section {}, which is removed", from->name, s->name));
  return out;
}

Status Planner::build_symbols() {
  if (!has_symtab_) return ok_status();
  std::vector<Sym*> locals, globals;
  for (auto& y : o_.symbols) {
    if (y.removed) continue;
    bool global = y.bind() != STB_LOCAL || y.is_undefined() || y.is_common();
    (global ? globals : locals).push_back(&y);
  }
  std::vector<Sym*> syms = std::move(locals);
  uint32_t first_global = static_cast<uint32_t>(syms.size()) + 1;
  syms.insert(syms.end(), globals.begin(), globals.end());
  sym_out_.assign(o_.symbols.size() + 1, 0);
  for (uint32_t i = 0; i < syms.size(); ++i) {
    sym_out_[syms[i]->in_index] = i + 1;
    if (syms[i]->in_index != i + 1) syms_identity_ = false;
  }
  if (syms.size() != o_.symbols.size()) syms_identity_ = false;

  StringTable strtab;
  std::vector<uint32_t> handles(syms.size(), 0);
  for (size_t i = 0; i < syms.size(); ++i)
    if (syms[i]->type() != STT_SECTION) handles[i] = strtab.add(syms[i]->name);  // section symbols: st_name 0
  strtab.finalize();

  auto& tab = buffer();
  tab.assign((syms.size() + 1) * f_.sym_size(), 0);
  std::vector<uint8_t>* shndx = nullptr;
  if (need_shndx_) {
    shndx = &buffer();
    shndx->assign((syms.size() + 1) * 4, 0);
  }
  for (size_t i = 0; i < syms.size(); ++i) {
    const Sym& y = *syms[i];
    uint32_t idx = y.special;
    if (y.section) {
      idx = index_.get(y.section);
      if (idx == 0)
        return err(o_.symtab, fmt::format("symbol '{}' is defined in removed section {} but is still needed",
                                          y.name, y.section->name));
    }
    uint16_t field = static_cast<uint16_t>(idx);
    if (y.section && idx >= SHN_LORESERVE) {
      field = SHN_XINDEX;
      store<uint32_t>(shndx->data() + (i + 1) * 4, f_.endian, idx);
    }
    // bfd/elf.c swap_out_syms: a symbol of a thread-local section is written as STT_TLS whatever
    // its type was (an assembler's NOTYPE label in .tdata, AArch64's $d mapping symbols there).
    const uint8_t info = y.section && (y.section->hdr.flags & SHF_TLS) && y.type() != STT_SECTION
                             ? st_info(y.bind(), STT_TLS)
                             : y.info;
    encode_sym(strtab.offset(handles[i]), info, y.other, field, y.value, y.size, f_,
               tab.data() + (i + 1) * f_.sym_size());
  }
  auto& st = out_[symtab_idx_];
  st.hdr = SectionHeader{};
  st.hdr.type = SHT_SYMTAB;
  st.hdr.size = tab.size();
  st.hdr.link = strtab_idx_;
  st.hdr.info = first_global;
  st.hdr.addralign = f_.file_align();
  st.hdr.entsize = f_.sym_size();
  st.bytes = tab;
  st.name = ".symtab";
  auto& strtab_bytes = buffer();
  strtab_bytes = strtab.bytes();
  auto& ss = out_[strtab_idx_];
  ss.hdr = SectionHeader{};
  ss.hdr.type = SHT_STRTAB;
  ss.hdr.size = strtab_bytes.size();
  ss.hdr.addralign = 1;
  ss.bytes = strtab_bytes;
  ss.name = ".strtab";
  if (need_shndx_) {
    auto& x = out_[shndx_idx_];
    x.hdr = SectionHeader{};
    x.hdr.type = SHT_SYMTAB_SHNDX;
    x.hdr.size = shndx->size();
    x.hdr.link = symtab_idx_;
    x.hdr.addralign = 4;
    x.hdr.entsize = 4;
    x.bytes = *shndx;
    x.name = ".symtab_shndx";
  }
  return ok_status();
}

// Only the symbol index of an entry can change (symbols are renumbered: locals first, removed ones
// gone), so the raw entries are copied and that one field is rewritten in place; offset, type and
// addend bytes go through untouched, with no decode/encode round trip.
Status Planner::encode_relocs(OutSection& os) {
  Section& s = *os.src;
  os.hdr.link = symtab_idx_;
  os.hdr.flags |= SHF_INFO_LINK;  // binutils always marks sh_info of relocation sections as a section index
  EH_ASSIGN(os.hdr.info, out_index_of(s.info_section, &s));
  return renumber_reloc_symbols(os);
}

// The symbol indices of a relocation section that uses .symtab, renumbered like the symbols. Also for
// one that applies to no section (sh_info 0, or SHF_ALLOC like arm64 vmlinux's .rela.dyn, whose
// entries use symbol 0): copied as raw bytes, its indices would go stale once symbols are removed
// (found by fuzz_objcopy: the output did not copy again).
Status Planner::renumber_reloc_symbols(OutSection& os) {
  Section& s = *os.src;
  // Without an output .symtab (no symbol kept, not relocatable) every entry must name symbol 0: the
  // identity shortcut does not hold then (found by fuzz_objcopy: a stale index copied raw).
  if (has_symtab_ && syms_identity_ && !s.contents_changed) {
    os.in_off = static_cast<int64_t>(s.hdr.offset);  // symbol indices unchanged: bytes are valid as they are
    return ok_status();
  }
  const RelocCodec codec = o_.input().reloc_codec(s.hdr.type == SHT_RELA);
  const size_t es = codec.entry_size();
  if (s.hdr.entsize != es || s.data.size() % es != 0)
    return err(&s, fmt::format("relocation section {} has entry size {} and size {:#x} (expected entries of {})",
                               s.name, s.hdr.entsize, s.data.size(), es));
  const uint32_t nsyms = static_cast<uint32_t>(o_.symbols.size());
  auto& buf = buffer();
  buf.assign(s.data.begin(), s.data.end());
  for (size_t off = 0; off < buf.size(); off += es) {
    uint8_t* entry = buf.data() + off;
    uint32_t sym = codec.symbol(entry);
    if (sym == 0) continue;
    if (sym > nsyms)
      return make_error(o_.input().path(), s.contents_changed ? kNoOffset : s.hdr.offset + off,
                        invalid_reloc_symbol(s.name, off / es, sym));
    uint32_t out = has_symtab_ ? sym_out_[sym] : 0;
    if (out == 0)
      return err(&s, fmt::format("relocation {} in {} refers to symbol '{}', which is removed", off / es, s.name,
                                 o_.symbols[sym - 1].name));
    if (out != sym && os.fixed)  // its bytes stay where the segments put them (docs/elf-engine.md)
      return err(&s, fmt::format("allocated relocation section {} refers to symbol '{}', which is renumbered; "
                                 "its bytes cannot change in a file with program headers",
                                 s.name, o_.symbols[sym - 1].name));
    // out <= sym <= codec.max_symbol(): the renumbered index always fits the field.
    codec.set_symbol(entry, out);
  }
  os.bytes = buf;
  os.hdr.size = buf.size();
  return ok_status();
}

Status Planner::encode_group(OutSection& os) {
  Section& g = *os.src;
  if (g.data.size() < 4 || g.data.size() % 4 != 0)
    return err(&g, fmt::format("group section {} has size {:#x}, not a multiple of 4", g.name, g.data.size()));
  auto& buf = buffer();
  buf.assign(g.data.begin(), g.data.begin() + 4);
  for (size_t i = 4; i < g.data.size(); i += 4) {
    uint32_t in = load<uint32_t>(g.data.data() + i, f_.endian);
    const Section* member = o_.by_input_index(in);  // O(1): groups cost their size, not x sections
    if (!member) return err(&g, fmt::format("group section {} names section {}, which does not exist", g.name, in));
    if (member->removed) continue;
    uint32_t ix = index_.get(member);
    if (ix == 0) continue;
    buf.resize(buf.size() + 4);
    store<uint32_t>(buf.data() + buf.size() - 4, f_.endian, ix);
  }
  os.bytes = buf;
  os.hdr.size = buf.size();
  os.hdr.link = symtab_idx_;
  // Without an output .symtab (no symbol kept in a file that is not relocatable) the signature is
  // gone too: found by fuzz_objcopy, the group was written with sh_link 0.
  if (!has_symtab_) return err(&g, fmt::format("group section {} signature symbol {} is missing", g.name, g.hdr.info));
  {
    uint32_t sig = g.hdr.info;
    if (sig == 0 || sig >= sym_out_.size() || sym_out_[sig] == 0)
      return err(&g, fmt::format("group section {} signature symbol {} is missing", g.name, sig));
    os.hdr.info = sym_out_[sig];
  }
  return ok_status();
}

Status Planner::resolve_links(OutSection& os) {
  Section& s = *os.src;
  const SectionKind kind = o_.kind(s);
  if (kind.opaque_symbol_indices && !syms_identity_)
    return err(&s, fmt::format("section {} (type {:#x}) may hold symbol indices elfhash cannot renumber, and this "
                               "edit renumbers the symbols; remove the section (-R {}) or keep every symbol",
                               s.name, s.hdr.type, s.name));
  if (s.raw_links) return raw_links(os);
  if (kind.symbol_indices && !kind.section_indices) return encode_relocs(os);
  if (kind.section_indices) return encode_group(os);
  if (s.link && s.hdr.type >= SHT_LOOS && regenerated(o_, *s.link) && !o_.target().keeps_special_links) {
    // binutils cannot follow an OS-specific section's link to a table it rebuilds and writes 0 (every
    // backend but ARM's, TargetRules::keeps_special_links). That is also the safe answer: such
    // sections (e.g. .llvm_addrsig) hold symbol indices that the rebuilt .symtab no longer matches,
    // and a zero link makes linkers ignore them.
    os.hdr.link = 0;
  } else if (s.link && o_.kind(*s.link).rebuilt_strings) {
    // The section-name table and .strtab are rebuilt from what the output keeps, so the offsets of a
    // section that draws its own strings from them (a hostile file's .dynsym sharing .shstrtab, found
    // by fuzz_objcopy) would name past or into the wrong strings. binutils rejects such a file.
    return err(&s, fmt::format("section {} takes its strings from section {}, a string table elfhash rebuilds; "
                               "remove the section (-R {})",
                               s.name, s.link->name, s.name));
  } else if (s.link) {
    EH_ASSIGN(os.hdr.link, out_index_of(s.link, &s));
  }
  if (s.info_section) {
    EH_ASSIGN(os.hdr.info, out_index_of(s.info_section, &s));
  }
  if (s.is_reloc() && has_symtab_ && s.link == o_.symtab) return renumber_reloc_symbols(os);
  if (!s.is_nobits()) {
    if (s.owned || s.in_index == 0)
      os.bytes = s.data;
    else
      os.in_off = static_cast<int64_t>(s.hdr.offset);
    os.hdr.size = s.data.size();
  }
  return ok_status();
}

// The header numbers of a section --only-keep-debug made NOBITS. bfd/elf.c:
// _bfd_elf_copy_private_section_data copies sh_info of symbol and version tables; then
// _bfd_elf_copy_private_bfd_data copies the input's sh_link and sh_info as they were into a non-empty
// NOBITS header, but only if the output's section headers exist by then, that is, if objcopy
// already wrote the contents of some section (BFD lays the file out on the first write).
// SHF_LINK_ORDER's link is set earlier, renumbered.
Status Planner::raw_links(OutSection& os) {
  const Section& s = *os.src;
  const uint32_t in_type = o_.input().sections()[s.in_index].type;
  const bool keeps_info = in_type == SHT_SYMTAB || in_type == SHT_DYNSYM || in_type == SHT_GNU_verneed ||
                          in_type == SHT_GNU_verdef;
  const bool copied = s.hdr.size != 0 && wrote_contents_;
  os.hdr.link = copied ? s.hdr.link : 0;
  os.hdr.info = copied || keeps_info ? s.hdr.info : 0;
  if ((s.hdr.flags & SHF_LINK_ORDER) && s.link) {
    EH_ASSIGN(os.hdr.link, out_index_of(s.link, &s));
  }
  // BFD writes the raw value whatever the output holds; past the output's last section no reader
  // accepts the file (elfhash's own included), so that is refused (found by fuzz_objcopy).
  if (os.hdr.link >= out_.size())
    return err(&s, fmt::format("{} keeps its input sh_link {} as binutils does for --only-keep-debug's NOBITS "
                               "sections, past the {} sections of the output",
                               s.name, os.hdr.link, out_.size()));
  return ok_status();
}

// Whether BFD writes some section's contents while copying (see raw_links): a section of the input
// or an added one, with bytes, that BFD holds as a section (not .symtab, .strtab, .shstrtab or an
// attached relocation section, which it builds itself).
bool Planner::writes_section_contents() const {
  for (const auto& s : o_.sections)
    if (!s->removed && !s->is_nobits() && !s->data.empty() && !regenerated(o_, *s)) return true;
  return false;
}

void Planner::build_shstrtab() {
  // binutils adds these three names first, then each section's name followed by its relocation
  // sections' names, in the input's section order.
  uint32_t h_symtab = 0, h_strtab = 0;
  if (has_symtab_) {
    h_symtab = shstr_.add(".symtab");
    h_strtab = shstr_.add(".strtab");
  }
  uint32_t h_shstrtab = shstr_.add(".shstrtab");
  for (auto& s : o_.sections) {
    if (s->removed || regenerated(o_, *s)) continue;
    out_[index_.get(s.get())].name_handle = shstr_.add(s->name);
    if (auto it = relocs_of_.find(s.get()); it != relocs_of_.end())
      for (Section* r : it->second) out_[index_.get(r)].name_handle = shstr_.add(r->name);
  }
  uint32_t h_shndx = need_shndx_ ? shstr_.add(".symtab_shndx") : 0;
  shstr_.finalize();
  auto& bytes = buffer();
  bytes = shstr_.bytes();
  auto& os = out_[shstrtab_idx_];
  os.hdr = SectionHeader{};
  os.hdr.type = SHT_STRTAB;
  os.hdr.size = bytes.size();
  os.hdr.addralign = 1;
  os.bytes = bytes;
  os.name = ".shstrtab";
  os.name_handle = h_shstrtab;
  if (has_symtab_) {
    out_[symtab_idx_].name_handle = h_symtab;
    out_[strtab_idx_].name_handle = h_strtab;
  }
  if (need_shndx_) out_[shndx_idx_].name_handle = h_shndx;
  for (size_t i = 1; i < out_.size(); ++i) out_[i].hdr.name = shstr_.offset(out_[i].name_handle);
}

// Bounded output (docs/threat-model.md): attacker-chosen alignments (up to 4 GiB each, validate.cc)
// must not make the output, or seal's in-memory image of it, larger than elf/limits.h allows; and an
// ELF32 file cannot express an offset of 4 GiB or more (binutils: "file too big").
Status Planner::check_size(const OutSection* os, uint64_t end) const {
  const uint64_t limit = o_.output_limit();
  const Section* s = os ? os->src : nullptr;
  if (end > limit)
    return err(s, fmt::format("output would be {:#x} bytes{}, over the bound of {:#x} (input size + added "
                              "sections + 64 MiB; docs/threat-model.md)",
                              end, os ? fmt::format(" once section {} is aligned to {:#x}", os->name, os->hdr.addralign) : "",
                              limit));
  if (!f_.is64() && end > UINT32_MAX)
    return err(s, fmt::format("ELF32 output would be {:#x} bytes, past the 4 GiB its offsets can express", end));
  return ok_status();
}

// Offsets of the allocated sections and the program headers as binutils computes them when the
// sections no longer hold the input's bytes; returns the first free offset after them.
// The layout's view of the output's sections that came from the input or were added (an added one
// has no input header), in output order. Their output headers are laid out in place, or, with
// `copies`, copies of them are (to see what binutils would do without committing to it).
std::vector<LaidOutSection> Planner::layout_inputs(std::vector<SectionHeader>* copies) {
  std::vector<LaidOutSection> secs;
  if (copies) copies->reserve(out_.size());  // no reallocation: secs point into it
  for (size_t i = 1; i < out_.size(); ++i) {
    OutSection& os = out_[i];
    if (!os.src) continue;
    const SectionHeader* in = os.src->in_index ? &o_.input().sections()[os.src->in_index] : nullptr;
    SectionHeader* out = copies ? &copies->emplace_back(os.hdr) : &os.hdr;
    secs.push_back(LaidOutSection{in, out, os.src->in_index, os.name});
  }
  return secs;
}

Result<uint64_t> Planner::relayout_segments() {
  std::vector<LaidOutSection> secs = layout_inputs(nullptr);
  EH_ASSIGN(auto laid, lay_out_segments(o_.input(), secs, segment_mode(o_.input(), secs)));
  // A hostile file's addresses and alignments can put the running offset anywhere (the layout's
  // arithmetic wraps like BFD's): the output bound applies to every placed section and to the end.
  const uint64_t limit = o_.output_limit();
  for (size_t i = 1; i < out_.size(); ++i) {
    const OutSection& os = out_[i];
    if (!os.src || os.hdr.type == SHT_NOBITS) continue;
    const uint64_t end = os.hdr.size > ~uint64_t{0} - os.hdr.offset ? ~uint64_t{0} : os.hdr.offset + os.hdr.size;
    if (end > limit) EH_TRY(check_size(&os, end));
  }
  if (laid.end > limit) EH_TRY(check_size(nullptr, laid.end));
  o_.segments = std::move(laid.phdrs);
  phoff_ = laid.phoff;
  return laid.end;
}

// binutils computes the program headers again on every copy (bfd/elf.c copy_elf_program_header and
// its layout). When that layout leaves every allocated section where the input has it (a linker's
// output), the headers it derives are still not always the linker's: a PT_GNU_RELRO is trimmed to
// its PT_LOAD's file bytes, a PT_LOAD's size is recomputed from its sections. Those headers are
// taken then. When it moves sections (a linker or post-link tool left a page or more of slack before
// a PT_LOAD, which BFD closes), or when binutils rewrites the headers from scratch (a section inside
// a segment removed or re-flagged: elf/segment_layout.h segment_mode), the whole layout is taken
// (relayout_).
Status Planner::adopt_bfd_program_headers() {
  EH_ASSIGN(auto phdrs, kept_program_headers());
  if (phdrs)
    o_.segments = std::move(*phdrs);
  else
    relayout_ = true;
  return ok_status();
}

// The program headers binutils derives when it keeps every allocated section at its input offset,
// or nullopt when it lays the file out again. Computed on copies of the headers: it changes nothing.
Result<std::optional<std::vector<ProgramHeader>>> Planner::kept_program_headers() {
  std::vector<SectionHeader> copies;
  std::vector<LaidOutSection> secs = layout_inputs(&copies);
  if (segment_mode(o_.input(), secs) == SegmentMode::kRewrite) return std::optional<std::vector<ProgramHeader>>();
  // Where the layout cannot follow binutils (an allocated section in no PT_LOAD, a load address
  // binutils would adjust, ...), GNU warns or fails and its output would not be the input's layout
  // either, so that is an error too (no real file seen does that: docs/elf-engine.md).
  EH_ASSIGN(auto laid, lay_out_segments(o_.input(), secs, SegmentMode::kCopy));
  bool moved = laid.phoff != o_.header.phoff;
  for (const LaidOutSection& l : secs) moved |= l.in && (l.out->flags & SHF_ALLOC) && l.out->offset != l.in->offset;
  if (moved) return std::optional<std::vector<ProgramHeader>>();
  return std::optional<std::vector<ProgramHeader>>(std::move(laid.phdrs));
}

// Where the packed sections begin in a file whose allocated sections keep their offsets: after the
// headers, the program headers and every segment's and fixed section's bytes.
uint64_t Planner::packed_start(std::span<const ProgramHeader> segments) const {
  const FileHeader& h = o_.header;
  uint64_t end = std::max<uint64_t>(f_.ehdr_size(), h.phoff + uint64_t{h.phnum} * h.phentsize);
  // PT_NULL slots and empty segments describe no bytes, so the reader leaves their offset
  // unchecked (elf/reader.cc parse_segments): they must not size the output either.
  for (const auto& p : segments)
    if (p.type != PT_NULL && p.filesz != 0) end = std::max(end, p.offset + p.filesz);
  for (size_t i = 1; i < out_.size(); ++i)
    if (out_[i].fixed && out_[i].hdr.type != SHT_NOBITS) end = std::max(end, out_[i].hdr.offset + out_[i].hdr.size);
  return end;  // inside the input: the reader bounded every term
}

// Puts `os` at the first offset from `off` its alignment allows; returns the offset after it.
// Each step stays below the output bound (< 2^63, checked by the caller), so nothing wraps.
uint64_t Planner::place_packed(OutSection& os, uint64_t off) const {
  os.hdr.addralign = normalized_align(os.hdr.addralign, os.hdr.addr);
  os.hdr.offset = align_up(off, os.hdr.addralign);
  return os.hdr.type == SHT_NOBITS ? os.hdr.offset : os.hdr.offset + os.hdr.size;
}

// The input bytes the output will hold, and where, as far as they are known before the symbol
// tables are built (EarlyCopy): a linked file's allocated sections in place, and the sections packed
// after them up to .symtab (whose offsets do not depend on the tables' sizes). Sections whose bytes
// the writer rewrites (relocations, groups) or an operation replaced are left out; layout() places
// everything for real later, and write_plan checks the two agree.
Result<std::vector<EarlyCopy::Range>> Planner::early_ranges() {
  std::vector<EarlyCopy::Range> ranges;
  if (o_.segments.empty() || relayout_) return ranges;
  EH_ASSIGN(auto phdrs, kept_program_headers());
  if (!phdrs) return ranges;
  const std::span<const uint8_t> in = o_.input().bytes();
  uint64_t off = packed_start(*phdrs);
  for (size_t i = 1; i < out_.size(); ++i) {
    OutSection os = out_[i];  // a copy: layout() does the real placing
    if (!os.src || os.deferred) continue;
    const Section& s = *os.src;
    if (!os.fixed) {
      off = place_packed(os, off);
      if (off > o_.output_limit()) return std::vector<EarlyCopy::Range>();  // layout() will refuse it
    }
    const SectionKind kind = o_.kind(s);
    if (s.is_nobits() || s.data.empty() || s.owned || s.contents_changed || s.in_index == 0 || s.raw_links ||
        kind.symbol_indices || kind.section_indices || s.data.size() != os.hdr.size ||
        s.data.data() != in.data() + s.hdr.offset)
      continue;
    ranges.push_back(EarlyCopy::Range{s.hdr.offset, os.hdr.offset, os.hdr.size});
  }
  sort_by_output(ranges);
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].out_off < ranges[i - 1].out_off + ranges[i - 1].size) return std::vector<EarlyCopy::Range>();
  return ranges;
}

Status Planner::layout() {
  uint64_t end = f_.ehdr_size();
  if (!relayout_ && !o_.segments.empty()) EH_TRY(adopt_bfd_program_headers());
  if (relayout_) {
    EH_ASSIGN(end, relayout_segments());
  } else if (!o_.segments.empty()) {
    end = packed_start(o_.segments);
  }
  uint64_t off = end;
  auto place = [&](OutSection& os) -> Status {
    off = place_packed(os, off);
    return check_size(&os, off);
  };
  for (size_t i = 1; i < out_.size(); ++i) {
    OutSection& os = out_[i];
    if (os.fixed) {
      os.hdr.addralign = normalized_align(os.hdr.addralign, os.hdr.addr);
      continue;  // keeps its input offset
    }
    if (os.deferred || !os.src) continue;
    EH_TRY(place(os));
  }
  if (has_symtab_) {
    EH_TRY(place(out_[symtab_idx_]));
    if (need_shndx_) EH_TRY(place(out_[shndx_idx_]));
    EH_TRY(place(out_[strtab_idx_]));
  }
  for (size_t i = 1; i < out_.size(); ++i)
    if (out_[i].deferred) EH_TRY(place(out_[i]));
  EH_TRY(place(out_[shstrtab_idx_]));
  shoff_ = align_up(off, f_.file_align());
  plan_.size = shoff_ + out_.size() * f_.shdr_size();
  EH_TRY(check_size(nullptr, plan_.size));
  return check_segments_fit();
}

// The program headers binutils computes follow the sections' sizes and the input's segment sizes,
// which a hostile file can make absurd (a PT_GNU_RELRO or PT_NOTE spanning exabytes). BFD writes
// such headers anyway; elfhash refuses an output whose segment would extend past its end, since no
// reader, its own included, accepts that file.
Status Planner::check_segments_fit() const {
  for (size_t i = 0; i < o_.segments.size(); ++i) {
    const ProgramHeader& p = o_.segments[i];
    if (p.type == PT_NULL || p.filesz == 0 || (p.offset <= plan_.size && p.filesz <= plan_.size - p.offset)) continue;
    // The offset names the input's program header that the segment came from (errors point into
    // the input file).
    return make_error(o_.input().path(), o_.header.phoff + i * uint64_t{o_.header.phentsize},
                      fmt::format("segment layout: segment {} would cover [{:#x}, +{:#x}), past the end of the "
                                  "{:#x}-byte output",
                                  i, p.offset, p.filesz, plan_.size));
  }
  return ok_status();
}

void Planner::emit() {
  const uint32_t shnum = static_cast<uint32_t>(out_.size());
  FileHeader h = o_.header;
  h.shoff = shoff_;
  if (relayout_) h.phoff = phoff_;
  if (o_.segments.empty()) {
    h.phoff = 0;
    h.phentsize = 0;
  }
  const uint32_t phnum = static_cast<uint32_t>(o_.segments.size());
  // Extended numbering (gABI): counts that do not fit 16 bits live in section 0.
  SectionHeader sh0;
  uint16_t shnum_field = static_cast<uint16_t>(shnum), shstrndx_field = static_cast<uint16_t>(shstrtab_idx_);
  uint16_t phnum_field = static_cast<uint16_t>(phnum);
  if (shnum >= SHN_LORESERVE) {
    shnum_field = 0;
    sh0.size = shnum;
  }
  if (shstrtab_idx_ >= SHN_LORESERVE) {
    shstrndx_field = SHN_XINDEX;
    sh0.link = shstrtab_idx_;
  }
  if (phnum >= kPnXnum) {
    phnum_field = kPnXnum;
    sh0.info = phnum;
  }
  out_[0].hdr = sh0;

  auto& ehdr = buffer();
  ehdr.assign(f_.ehdr_size(), 0);
  encode_ehdr(h, shnum_field, shstrndx_field, phnum_field, f_, ehdr.data());
  plan_.pieces.push_back(Piece{0, ehdr.size(), -1, ehdr});
  // BFD writes the headers and each section's contents, nothing else: bytes of the input outside
  // every section (a post-link tool's leftovers between sections) come out as zeros, so the loaded
  // part of the file is not copied as one block but section by section.
  if (!o_.segments.empty()) {
    auto& ph = buffer();
    ph.assign(o_.segments.size() * h.phentsize, 0);
    for (size_t i = 0; i < o_.segments.size(); ++i) encode_phdr(o_.segments[i], f_, ph.data() + i * h.phentsize);
    plan_.pieces.push_back(Piece{h.phoff, ph.size(), -1, ph});
  }
  for (size_t i = 1; i < out_.size(); ++i) {
    const OutSection& os = out_[i];
    if (os.hdr.type == SHT_NOBITS || os.hdr.size == 0) continue;
    if (os.in_off >= 0)
      plan_.pieces.push_back(Piece{os.hdr.offset, os.hdr.size, os.in_off, {}});
    else
      plan_.pieces.push_back(Piece{os.hdr.offset, os.bytes.size(), -1, os.bytes});
  }
  auto& shdrs = buffer();
  shdrs.assign(out_.size() * f_.shdr_size(), 0);
  for (size_t i = 0; i < out_.size(); ++i) encode_shdr(out_[i].hdr, f_, shdrs.data() + i * f_.shdr_size());
  plan_.pieces.push_back(Piece{shoff_, shdrs.size(), -1, shdrs});
}

// .dynsym is copied as it is (binutils treats it as plain contents), so its st_shndx values keep
// naming input section numbers even where the output numbers sections differently (BFD's creation
// order puts .dynamic and .dynsym before a .dynstr that preceded them; GNU's output is the same).
// Only an index past the output's sections is refused: that output would not be a valid ELF file
// (found by fuzz_objcopy on a hostile file with removable sections before its allocated ones).
Status Planner::check_dynsym_indices() const {
  for (Section* s : order_) {
    if (s->hdr.type != SHT_DYNSYM || s->in_index == 0 || s->contents_changed) continue;
    EH_ASSIGN(auto syms, o_.input().symbols(s->in_index));
    for (const Symbol& y : syms) {
      if (y.shndx == SHN_UNDEF || (y.shndx >= SHN_LORESERVE && !y.xindex) || y.shndx < out_.size()) continue;
      return err(s, fmt::format("{} defines a symbol in section {}, past the {} sections this edit leaves; "
                                "binutils copies {} unchanged",
                                s->name, y.shndx, out_.size(), s->name));
    }
  }
  return ok_status();
}

Result<OutputPlan> Planner::run() {
  relayout_ = o_.relayout_segments && !o_.segments.empty();
  wrote_contents_ = writes_section_contents();
  order_sections();
  number_sections();
  if (out_.size() < o_.input().sections().size()) EH_TRY(check_dynsym_indices());
  if (early_) {
    EH_ASSIGN(auto ranges, early_ranges());
    early_->add(ranges);
  }
  EH_TRY(build_symbols());
  for (size_t i = 1; i < out_.size(); ++i)
    if (out_[i].src) EH_TRY(resolve_links(out_[i]));
  build_shstrtab();
  EH_TRY(layout());
  emit();
  return std::move(plan_);
}

}  // namespace

Result<OutputPlan> plan_output(Object& o, EarlyCopy* early) { return Planner(o, early).run(); }

namespace {

// Copies the pieces into `out` (plan.size bytes, uninitialised) and zeroes only the bytes no piece
// covers (alignment padding), instead of clearing the whole buffer first.
void render_into(const OutputPlan& plan, std::span<const uint8_t> input, uint8_t* out) {
  std::vector<std::pair<uint64_t, uint64_t>> runs;  // [begin, end) of each piece, sorted
  runs.reserve(plan.pieces.size());
  for (const Piece& p : plan.pieces) runs.emplace_back(p.out_off, p.out_off + p.size);
  std::sort(runs.begin(), runs.end());
  uint64_t covered = 0;
  for (const auto& [b, e] : runs) {
    if (b > covered) std::memset(out + covered, 0, b - covered);
    covered = std::max(covered, e);
  }
  if (plan.size > covered) std::memset(out + covered, 0, plan.size - covered);
  for (const Piece& p : plan.pieces) {  // in plan order: later pieces overwrite earlier ones
    if (p.size == 0) continue;  // (an empty image's one piece has no bytes at all)
    const uint8_t* src = p.in_off >= 0 ? input.data() + p.in_off : p.bytes.data();
    std::memcpy(out + p.out_off, src, p.size);
  }
}

// The output as consecutive spans (pieces in file order, zeros between them), when no two pieces
// overlap; false otherwise (render_into then applies them in plan order).
bool gather(const OutputPlan& plan, std::span<const uint8_t> input, std::vector<std::span<const uint8_t>>& spans) {
  static const uint8_t kZeros[4096] = {};
  std::vector<const Piece*> sorted;
  sorted.reserve(plan.pieces.size());
  for (const Piece& p : plan.pieces)
    if (p.size) sorted.push_back(&p);
  std::sort(sorted.begin(), sorted.end(), [](const Piece* a, const Piece* b) { return a->out_off < b->out_off; });
  auto zeros = [&](uint64_t n) {
    for (; n > 0; n -= std::min<uint64_t>(n, sizeof kZeros)) spans.emplace_back(kZeros, std::min<uint64_t>(n, sizeof kZeros));
  };
  uint64_t at = 0;
  for (const Piece* p : sorted) {
    if (p->out_off < at || p->out_off + p->size > plan.size) return false;
    zeros(p->out_off - at);
    spans.emplace_back(p->in_off >= 0 ? input.data() + p->in_off : p->bytes.data(), p->size);
    at = p->out_off + p->size;
  }
  zeros(plan.size - at);
  return true;
}

// Every piece not marked in `skip`, in plan order, into an output already truncated to plan.size.
Status write_pieces(AtomicFile& out, const OutputPlan& plan, const MappedFile& input, const std::vector<bool>* skip) {
  for (size_t i = 0; i < plan.pieces.size(); ++i) {
    const Piece& p = plan.pieces[i];
    if (skip && (*skip)[i]) continue;
    if (p.in_off >= 0)
      EH_TRY(out.copy_from(input.fd(), static_cast<uint64_t>(p.in_off), p.out_off, p.size));
    else
      EH_TRY(out.write_at(p.out_off, p.bytes));
  }
  return ok_status();
}

// Installs the output once the input is known to be the file it was when opened
// (MappedFile::check_unchanged).
Status commit_checked(AtomicFile& out, const MappedFile& input) {
  stop_point("written");
  EH_TRY(input.check_unchanged());
  return out.commit();
}

// The whole output into `out` (empty) and installed.
Status write_output(AtomicFile& out, const OutputPlan& plan, const MappedFile& input) {
  std::vector<std::span<const uint8_t>> spans;
  if (plan.size <= kSmallOutput && !out.is_stream() && gather(plan, input.bytes(), spans)) {
    // The pieces straight from the input mapping and the plan's buffers, one pwritev: no copy into
    // an output buffer first (a module's output is ~100 KB in a few dozen pieces).
    EH_TRY(out.write_spans(spans));
    return commit_checked(out, input);
  }
  if (plan.size <= kSmallOutput || input.fd() < 0) {
    // One buffer, one write() (a stripped module is ~100 KB).
    auto bytes = std::make_unique_for_overwrite<uint8_t[]>(plan.size);
    render_into(plan, input.bytes(), bytes.get());
    EH_TRY(out.append({bytes.get(), plan.size}));
    return commit_checked(out, input);
  }
  // Large outputs (vmlinux): unchanged ranges copied from the input fd (AtomicFile::copy_from picks
  // copy_file_range or a buffer); holes read back as zeros.
  EH_TRY(out.truncate(plan.size));
  EH_TRY(write_pieces(out, plan, input, nullptr));
  return commit_checked(out, input);
}

}  // namespace

std::vector<uint8_t> render(const OutputPlan& plan, std::span<const uint8_t> input) {
  std::vector<uint8_t> out(plan.size, 0);
  render_into(plan, input, out.data());
  return out;
}

Status write_plan(const OutputPlan& plan, const MappedFile& input, const std::string& path, uint32_t mode,
                  bool fsync, EarlyCopy* early) {
  if (early) return early->finish(plan, input);
  EH_ASSIGN(auto out, AtomicFile::create(path, mode, fsync));
  return write_output(out, plan, input);
}

// ---- EarlyCopy ----

std::vector<EarlyCopy::Range> in_place_ranges(const ElfFile& elf) {
  std::vector<EarlyCopy::Range> ranges;
  if (elf.segments().empty()) return ranges;
  const uint64_t file_size = elf.file()->bytes().size();
  for (const SectionHeader& h : elf.sections()) {
    if (!(h.flags & SHF_ALLOC) || h.type == SHT_NOBITS || h.size == 0) continue;
    if (h.offset > file_size || h.size > file_size - h.offset) continue;  // (parse() refused these already)
    ranges.push_back(EarlyCopy::Range{h.offset, h.offset, h.size});
  }
  sort_by_output(ranges);
  return ranges;  // (overlapping ones are dropped by EarlyCopy::add)
}

std::unique_ptr<EarlyCopy> EarlyCopy::create(const MappedFile& input, const std::string& path, uint32_t mode,
                                             bool fsync, uint64_t min_bytes) {
  if (input.fd() < 0 || input.bytes().size() < min_bytes) return nullptr;
  auto out = AtomicFile::create(path, mode, fsync);
  if (!out.ok() || out.value().is_stream()) return nullptr;
  return std::unique_ptr<EarlyCopy>(new EarlyCopy(std::move(out).value(), input.fd(), min_bytes));
}

namespace {

uint64_t total_size(std::span<const EarlyCopy::Range> ranges) {
  uint64_t n = 0;
  for (const EarlyCopy::Range& r : ranges) n += r.size;
  return n;
}

}  // namespace

void EarlyCopy::add(std::span<const Range> ranges) {
  bool start = false;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    for (const Range& r : ranges) {
      if (r.size == 0) continue;
      const uint64_t end = r.out_off + r.size;  // (offsets and sizes are below the 2^63 output bound)
      auto next = taken_.lower_bound(r.out_off);
      if (next != taken_.end() && next->first < end) continue;                     // overlaps a later one
      if (next != taken_.begin() && std::prev(next)->second > r.out_off) continue;  // or an earlier one
      taken_.emplace(r.out_off, end);
      queue_.push_back(r);
    }
    start = !thread_.joinable() && !queue_.empty() && total_size(queue_) >= min_bytes_;
  }
  more_.notify_one();
  if (!start) return;
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::system_error&) {
    std::lock_guard lock(mu_);  // no thread to spare: write_plan writes everything
    closed_ = true;
    queue_.clear();
  }
}

std::vector<EarlyCopy::Range> EarlyCopy::ranges() const {
  std::lock_guard lock(mu_);
  std::vector<Range> sorted = queue_;
  sort_by_output(sorted);
  return sorted;
}

uint64_t EarlyCopy::copied_bytes() const {
  std::lock_guard lock(mu_);
  return total_size(queue_);
}

void EarlyCopy::stop(bool drain) {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    if (!drain) queue_.resize(next_);
  }
  more_.notify_one();
}

EarlyCopy::~EarlyCopy() {
  stop(/*drain=*/false);  // an error ended the run: what was not copied yet is not needed
  if (thread_.joinable()) thread_.join();
}

void EarlyCopy::run() {
  for (;;) {
    Range r;
    {
      std::unique_lock lock(mu_);
      more_.wait(lock, [&] { return next_ < queue_.size() || closed_; });
      if (next_ == queue_.size()) return;
      r = queue_[next_++];
    }
    Status st = out_->copy_from(in_fd_, r.in_off, r.out_off, r.size);
    if (!st.ok()) {
      std::lock_guard lock(mu_);
      status_ = std::move(st);
      return;
    }
  }
}

namespace {

// Whether [off, off + size) meets one of `sorted` (by output offset, disjoint).
bool meets(std::span<const EarlyCopy::Range> sorted, uint64_t off, uint64_t size) {
  auto it = std::upper_bound(sorted.begin(), sorted.end(), off,
                             [](uint64_t v, const EarlyCopy::Range& r) { return v < r.out_off; });
  if (it != sorted.end() && it->out_off < off + size) return true;
  return it != sorted.begin() && std::prev(it)->out_off + std::prev(it)->size > off;
}

}  // namespace

Status EarlyCopy::finish(const OutputPlan& plan, const MappedFile& input) {
  AtomicFile& out = *out_;
  if (!thread_.joinable()) return write_output(out, plan, input);  // nothing was copied early
  stop(/*drain=*/true);  // the thread copies what is queued, then ends
  const std::vector<Range> ranges = this->ranges();
  std::optional<Coverage> cov = pieces_covered(plan, ranges);
  std::vector<Range> wrong;
  for (size_t j = 0; cov && j < ranges.size(); ++j)
    if (!cov->range_ok[j]) wrong.push_back(ranges[j]);
  // The plan's own bytes (tables, headers) go in while the copy still runs, where no wrong range is
  // being copied: different offsets of the same file, written with pwrite, which leaves the
  // AtomicFile to the copying thread.
  Status own = ok_status();
  for (size_t i = 0; cov && own.ok() && i < plan.pieces.size(); ++i) {
    const Piece& p = plan.pieces[i];
    if (cov->done[i] || p.in_off >= 0 || meets(wrong, p.out_off, p.size)) continue;
    own = pwrite_all(out.fd(), p.out_off, p.bytes.first(p.size), out.path());
    cov->done[i] = true;
  }
  thread_.join();
  EH_TRY(status_);  // (ENOSPC, EIO: the plain path would have met them too)
  EH_TRY(own);
  if (!cov) {
    EH_TRY(out.truncate(0));  // no range can be trusted: the whole output is written again
    return write_output(out, plan, input);
  }
  EH_TRY(out.truncate(plan.size));
  // A wrong range is cleared (the plan may have a hole there) and every piece meeting it rewritten.
  for (const Range& r : wrong)
    if (r.out_off < plan.size) EH_TRY(out.zero_range(r.out_off, std::min(r.size, plan.size - r.out_off)));
  EH_TRY(write_pieces(out, plan, input, &cov->done));
  return commit_checked(out, input);
}

std::optional<Coverage> pieces_covered(const OutputPlan& plan, std::span<const EarlyCopy::Range> ranges) {
  std::vector<size_t> order;  // non-empty pieces by output offset
  for (size_t i = 0; i < plan.pieces.size(); ++i)
    if (plan.pieces[i].size) order.push_back(i);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return plan.pieces[a].out_off < plan.pieces[b].out_off; });
  auto piece = [&](size_t k) -> const Piece& { return plan.pieces[order[k]]; };
  for (size_t k = 1; k < order.size(); ++k)
    if (piece(k).out_off < piece(k - 1).out_off + piece(k - 1).size) return std::nullopt;  // overwrites
  Coverage cov{std::vector<bool>(plan.pieces.size(), false), std::vector<bool>(ranges.size(), false)};
  std::vector<size_t> inside;
  size_t k = 0;
  for (size_t j = 0; j < ranges.size(); ++j) {
    const EarlyCopy::Range& r = ranges[j];
    const uint64_t end = r.out_off + r.size;
    while (k < order.size() && piece(k).out_off + piece(k).size <= r.out_off) ++k;
    // Every byte of the range must be a byte the plan copies from the same input offset: a hole
    // (zeros) or a generated piece there means the early copy wrote what the output must not hold.
    bool ok = true;
    inside.clear();
    for (size_t m = k, at = r.out_off; at < end; ++m) {
      if (m == order.size()) {
        ok = false;
        break;
      }
      const Piece& p = piece(m);
      // (in + out sums stay below 2^64: every offset is below the output bound, 2^63)
      if (p.out_off > at || p.in_off < 0 || static_cast<uint64_t>(p.in_off) + r.out_off != p.out_off + r.in_off) {
        ok = false;
        break;
      }
      const uint64_t p_end = p.out_off + p.size;
      if (p.out_off >= r.out_off && p_end <= end) inside.push_back(order[m]);
      at = p_end;  // (a piece running past the range is written in full later)
    }
    cov.range_ok[j] = ok;
    if (ok)
      for (size_t i : inside) cov.done[i] = true;
  }
  return cov;
}

}  // namespace elfhash::elf
