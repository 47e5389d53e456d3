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
  o.header = in.header();
  o.segments = in.segments();
  EH_TRY(o.load_sections());
  EH_TRY(o.load_symbols());
  return o;
}

Status Object::load_sections() {
  const auto& sh = in_->sections();
  by_index_.assign(sh.size(), nullptr);
  for (uint32_t i = 1; i < sh.size(); ++i) {
    auto s = std::make_unique<Section>();
    s->name = std::string(in_->section_name(i));
    s->hdr = sh[i];
    s->in_index = i;
    s->data = in_->section_data(i);
    by_index_[i] = s.get();
    sections.push_back(std::move(s));
  }
  const uint64_t shdr_base = in_->header().shoff;
  auto at = [&](uint32_t i) { return shdr_base + uint64_t{i} * in_->shdr_size(); };
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
  }
  return ok_status();
}

uint64_t Object::output_limit() const { return elf::output_limit(in_->bytes().size(), added_bytes); }

Section* Object::find(std::string_view name) const {
  for (auto& s : sections)
    if (!s->removed && s->name == name) return s.get();
  return nullptr;
}

bool Object::is_attached_reloc(const Section& s) const {
  return s.is_reloc() && symtab && s.link == symtab && s.info_section != nullptr &&
         !(s.hdr.flags & SHF_ALLOC);
}

}  // namespace elfhash::elf
