#include "elf/object.h"

#include <fmt/core.h>

#include "elf/limits.h"

namespace elfhash::elf {

void Section::set_contents(std::vector<uint8_t> bytes) {
  owned = std::make_shared<std::vector<uint8_t>>(std::move(bytes));
  data = *owned;
  hdr.size = owned->size();
  contents_changed = true;
}

Result<Object> Object::load(const ElfFile& in) {
  Object o;
  o.in_ = &in;
  o.target_ = &target_rules(in.header().machine);
  o.header = in.header();
  o.segments = in.segments();
  EH_TRY(o.load_sections());
  EH_TRY(o.load_symbols());
  return o;
}

namespace {

// The order in which binutils creates the input's BFD sections, which is the order of the BFD
// section list and so of the output's section header table. bfd_section_from_shdr (bfd/elf.c) runs
// over the headers in index order, with two recursions:
//  - a string table met before its symbol table (and that is not the name table) is created after
//    the sections whose sh_link names it: they are processed first, in index order, up to the one
//    that is the .symtab or .dynsym (s390x vmlinux: .dynstr at index 3, then .dynamic and .dynsym,
//    which GNU objcopy moves ahead of .dynstr);
//  - a SHT_REL/SHT_RELA section processes the symbol table in its sh_link first.
// Section 0 is not listed.
std::vector<uint32_t> bfd_creation_order(const ElfFile& in) {
  const auto& sh = in.sections();
  const uint32_t n = static_cast<uint32_t>(sh.size());
  // linkers of section i, in index order: by_link[first[i] .. first[i + 1]). BFD rescans every header
  // for each such string table; the index keeps a hostile file of many string tables linear.
  std::vector<uint32_t> first(n + 1, 0), by_link(n);
  for (uint32_t j = 1; j < n; ++j)
    if (sh[j].link < n) ++first[sh[j].link + 1];
  for (uint32_t i = 0; i < n; ++i) first[i + 1] += first[i];
  {
    std::vector<uint32_t> fill(first.begin(), first.end() - 1);
    for (uint32_t j = 1; j < n; ++j)
      if (sh[j].link < n) by_link[fill[sh[j].link]++] = j;
  }
  std::vector<uint8_t> seen(n, 0);
  std::vector<uint32_t> order;
  order.reserve(n);
  uint32_t symtab = 0, dynsym = 0;  // BFD's elf_onesymtab / elf_dynsymtab once processed
  auto is_symbol_table = [&](uint32_t t) { return t == SHT_SYMTAB || t == SHT_DYNSYM; };
  // An explicit stack instead of recursion: a hostile file's links may chain through every section.
  // next: position in by_link still to visit (string tables), kLinkFirst (relocations), or kDone.
  constexpr uint32_t kDone = ~0u, kLinkFirst = ~0u - 1;
  struct Frame {
    uint32_t index, next;
  };
  std::vector<Frame> stack;
  auto enter = [&](uint32_t i) {
    seen[i] = 1;
    const SectionHeader& h = sh[i];
    if (h.type == SHT_SYMTAB && !symtab) symtab = i;
    if (h.type == SHT_DYNSYM && !dynsym) dynsym = i;
    uint32_t next = kDone;
    if (h.type == SHT_STRTAB) {
      bool known = i == in.header().shstrndx || (symtab && sh[symtab].link == i) || (dynsym && sh[dynsym].link == i);
      if (!known && !(symtab && dynsym)) next = first[i];
    } else if ((h.type == SHT_REL || h.type == SHT_RELA) && h.link < n && is_symbol_table(sh[h.link].type)) {
      next = kLinkFirst;
    }
    stack.push_back({i, next});
  };
  for (uint32_t root = 1; root < n; ++root) {
    if (seen[root]) continue;
    enter(root);
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next == kLinkFirst) {  // relocation section: its symbol table first
        f.next = kDone;
        if (!seen[sh[f.index].link]) enter(sh[f.index].link);
        continue;
      }
      if (f.next != kDone && f.next < first[f.index + 1]) {  // string table: the sections linking to it
        uint32_t j = by_link[f.next++];
        if (j == f.index) continue;
        if (is_symbol_table(sh[j].type)) f.next = kDone;  // BFD stops at the .symtab or .dynsym
        if (!seen[j]) enter(j);
        continue;
      }
      order.push_back(f.index);
      stack.pop_back();
    }
  }
  return order;
}

}  // namespace

Status Object::load_sections() {
  const auto& sh = in_->sections();
  by_index_.assign(sh.size(), nullptr);
  for (uint32_t i : bfd_creation_order(*in_)) {
    auto s = std::make_unique<Section>();
    s->name = std::string(in_->section_name(i));
    s->hdr = sh[i];
    s->in_index = i;
    s->data = in_->section_data(i);
    by_index_[i] = s.get();
    sections.push_back(std::move(s));
  }
  auto at = [&](uint32_t i) { return in_->shdr_offset(i); };
  for (auto& s : sections) {
    uint32_t link = s->hdr.link, info = s->hdr.info;
    if (link != 0) {
      if (link >= sh.size())
        return make_error(in_->path(), at(s->in_index),
                          fmt::format("section {} ({}) sh_link {} is out of range", s->in_index, s->name, link));
      s->link = by_index_[link];
    }
    bool info_is_section = s->is_reloc() || (s->hdr.flags & SHF_INFO_LINK);
    if (info_is_section && info != 0) {
      if (info >= sh.size())
        return make_error(in_->path(), at(s->in_index),
                          fmt::format("section {} ({}) sh_info {} is out of range", s->in_index, s->name, info));
      s->info_section = by_index_[info];
    }
    if (s->hdr.type == SHT_SYMTAB) {
      if (symtab) return make_error(in_->path(), at(s->in_index), "more than one SHT_SYMTAB section");
      symtab = s.get();
    }
  }
  if (in_->header().shstrndx != 0) shstrtab = by_index_[in_->header().shstrndx];
  return ok_status();
}

Status Object::load_symbols() {
  if (!symtab) return ok_status();
  EH_ASSIGN(auto syms, in_->symbols(symtab->in_index));
  symbols.resize(syms.empty() ? 0 : syms.size() - 1);
  for (uint32_t i = 1; i < syms.size(); ++i) {
    const Symbol& y = syms[i];
    Sym& s = symbols[i - 1];
    EH_ASSIGN(s.name, in_->string_at(symtab->hdr.link, y.name));
    s.value = y.value;
    s.size = y.size;
    s.info = y.info;
    s.other = y.other;
    s.in_index = i;
    bool real = y.xindex || (y.shndx != SHN_UNDEF && y.shndx < SHN_LORESERVE);
    if (real)
      s.section = by_index_[y.shndx];  // range-checked by ElfFile::symbols()
    else
      s.special = y.shndx;
    s.common = !real && (y.shndx == SHN_COMMON || (target_->extra_common && y.shndx == target_->extra_common));
  }
  return ok_status();
}

uint64_t Object::output_limit() const { return elf::output_limit(in_->bytes().size(), added_bytes); }

uint64_t Object::load_address(const Section& s) const {
  if (s.lma) return *s.lma;
  for (const auto& p : segments)
    if (p.type == PT_LOAD && s.hdr.offset >= p.offset && s.hdr.offset + s.size() <= p.offset + p.filesz &&
        s.hdr.addr >= p.vaddr)
      return s.hdr.addr - p.vaddr + p.paddr;
  return s.hdr.addr;
}

Section* Object::find(std::string_view name) const {
  for (auto& s : sections)
    if (!s->removed && s->name == name) return s.get();
  return nullptr;
}

SectionKind Object::kind(const Section& s) const {
  SectionKind k;
  const bool attached = is_attached_reloc(s);
  k.rebuilt_strings = (symtab && &s == symtab->link) || &s == shstrtab;
  k.regenerated = &s == symtab || k.rebuilt_strings || s.hdr.type == SHT_SYMTAB_SHNDX || attached;
  k.symbol_indices = attached || s.hdr.type == SHT_GROUP;
  k.section_indices = s.hdr.type == SHT_GROUP;
  k.opaque_symbol_indices = symtab && s.link == symtab &&
                            (s.hdr.type == SHT_CREL || (s.hdr.type >= SHT_LOPROC && !attached));
  return k;
}

bool Object::is_attached_reloc(const Section& s) const {
  return s.is_reloc() && symtab && s.link == symtab && s.info_section != nullptr &&
         !(s.hdr.flags & SHF_ALLOC);
}

}  // namespace elfhash::elf
