#include "elf/reader.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstring>

#include "elf/bytes.h"

namespace elfhash::elf {
namespace {

constexpr uint32_t kPnXnum = 0xffff;  // e_phnum escape: real count in section 0's sh_info

struct StringFailure {
  size_t which;     // index into the offsets
  bool past_end;    // offset >= table size (else: no NUL after it)
};

// Resolves every offset in `offs` to the NUL-terminated string there, in O(table + n log n): offsets
// are visited from the highest down and each byte of the table is scanned at most once, so a hostile
// table whose strings overlap (or that lacks NULs) cannot make this quadratic. Offset 0 of an empty
// table is "" (a file with no names).
// Each name found from its own offset, in index order, while the bytes scanned stay within a budget
// linear in the table and the count (names that overlap little: every real file). False when the
// budget runs out or a name is bad: the sorted scan below then decides (and picks the failure to report).
bool resolve_strings_direct(std::span<const uint8_t> tab, const std::vector<uint32_t>& offs,
                            std::vector<std::string_view>& out) {
  uint64_t budget = 2 * uint64_t{tab.size()} + 64 * uint64_t{offs.size()};
  for (size_t i = 0; i < offs.size(); ++i) {
    uint64_t off = offs[i];
    if (off >= tab.size()) {
      if (off == 0) continue;  // empty table, name ""
      return false;
    }
    uint64_t limit = std::min<uint64_t>(tab.size() - off, budget);
    const void* p = std::memchr(tab.data() + off, 0, limit);
    if (!p) return false;
    uint64_t len = static_cast<const uint8_t*>(p) - (tab.data() + off);
    budget -= len + 1 > budget ? budget : len + 1;
    out[i] = std::string_view(reinterpret_cast<const char*>(tab.data() + off), len);
  }
  return true;
}

std::optional<StringFailure> resolve_strings(std::span<const uint8_t> tab, const std::vector<uint32_t>& offs,
                                             std::vector<std::string_view>& out) {
  out.assign(offs.size(), std::string_view());
  if (resolve_strings_direct(tab, offs, out)) return std::nullopt;
  std::vector<uint32_t> order(offs.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return offs[a] != offs[b] ? offs[a] > offs[b] : a < b;
  });
  uint64_t scanned_from = tab.size();  // first NUL at or after scanned_from is `nul`
  uint64_t nul = tab.size();           // tab.size() = none
  for (uint32_t i : order) {
    uint64_t off = offs[i];
    if (off >= tab.size()) {
      if (off == 0) continue;  // empty table, name ""
      return StringFailure{i, true};
    }
    if (off < scanned_from) {
      const void* p = std::memchr(tab.data() + off, 0, scanned_from - off);
      if (p) nul = static_cast<const uint8_t*>(p) - tab.data();
      scanned_from = off;
    }
    if (nul == tab.size()) return StringFailure{i, false};
    out[i] = std::string_view(reinterpret_cast<const char*>(tab.data() + off), nul - off);
  }
  return std::nullopt;
}

}  // namespace

SectionHeader decode_shdr(const uint8_t* p, Class c, Endian e) {
  SectionHeader s;
  s.name = load<uint32_t>(p, e);
  s.type = load<uint32_t>(p + 4, e);
  if (c == Class::k64) {
    s.flags = load<uint64_t>(p + 8, e);
    s.addr = load<uint64_t>(p + 16, e);
    s.offset = load<uint64_t>(p + 24, e);
    s.size = load<uint64_t>(p + 32, e);
    s.link = load<uint32_t>(p + 40, e);
    s.info = load<uint32_t>(p + 44, e);
    s.addralign = load<uint64_t>(p + 48, e);
    s.entsize = load<uint64_t>(p + 56, e);
  } else {
    s.flags = load<uint32_t>(p + 8, e);
    s.addr = load<uint32_t>(p + 12, e);
    s.offset = load<uint32_t>(p + 16, e);
    s.size = load<uint32_t>(p + 20, e);
    s.link = load<uint32_t>(p + 24, e);
    s.info = load<uint32_t>(p + 28, e);
    s.addralign = load<uint32_t>(p + 32, e);
    s.entsize = load<uint32_t>(p + 36, e);
  }
  return s;
}

ProgramHeader decode_phdr(const uint8_t* p, Class c, Endian e) {
  ProgramHeader ph;
  ph.type = load<uint32_t>(p, e);
  if (c == Class::k64) {
    ph.flags = load<uint32_t>(p + 4, e);
    ph.offset = load<uint64_t>(p + 8, e);
    ph.vaddr = load<uint64_t>(p + 16, e);
    ph.paddr = load<uint64_t>(p + 24, e);
    ph.filesz = load<uint64_t>(p + 32, e);
    ph.memsz = load<uint64_t>(p + 40, e);
    ph.align = load<uint64_t>(p + 48, e);
  } else {
    ph.offset = load<uint32_t>(p + 4, e);
    ph.vaddr = load<uint32_t>(p + 8, e);
    ph.paddr = load<uint32_t>(p + 12, e);
    ph.filesz = load<uint32_t>(p + 16, e);
    ph.memsz = load<uint32_t>(p + 20, e);
    ph.flags = load<uint32_t>(p + 24, e);
    ph.align = load<uint32_t>(p + 28, e);
  }
  return ph;
}

Result<ElfFile> ElfFile::open(const std::string& path) {
  EH_ASSIGN(auto f, MappedFile::open(path));
  return parse(std::move(f));
}

Result<ElfFile> ElfFile::parse(std::shared_ptr<MappedFile> file) {
  ElfFile elf;
  elf.file_ = std::move(file);
  EH_TRY(elf.parse_header());
  EH_TRY(elf.parse_sections());
  EH_TRY(elf.parse_names());
  elf.index_sections();
  EH_TRY(elf.parse_segments());
  EH_TRY(elf.check_overlaps());
  return elf;
}

Status ElfFile::parse_header() {
  auto b = bytes();
  if (b.size() < 16 || std::memcmp(b.data(), kMagic, 4) != 0) return err(0, "not an ELF file (bad magic)");
  std::memcpy(hdr_.ident, b.data(), 16);
  if (hdr_.ident[4] != 1 && hdr_.ident[4] != 2)
    return err(4, fmt::format("unsupported ELF class {}", hdr_.ident[4]));
  if (hdr_.ident[5] != 1 && hdr_.ident[5] != 2)
    return err(5, fmt::format("unsupported ELF data encoding {}", hdr_.ident[5]));
  if (hdr_.ident[6] != 1) return err(6, fmt::format("unsupported ELF version {}", hdr_.ident[6]));
  if (b.size() < ehdr_size()) return err(0, "file too small for the ELF header");
  const uint8_t* p = b.data();
  Endian e = endian();
  hdr_.type = load<uint16_t>(p + 16, e);
  hdr_.machine = load<uint16_t>(p + 18, e);
  hdr_.version = load<uint32_t>(p + 20, e);
  size_t o = 24;
  if (is64()) {
    hdr_.entry = load<uint64_t>(p + 24, e);
    hdr_.phoff = load<uint64_t>(p + 32, e);
    hdr_.shoff = load<uint64_t>(p + 40, e);
    o = 48;
  } else {
    hdr_.entry = load<uint32_t>(p + 24, e);
    hdr_.phoff = load<uint32_t>(p + 28, e);
    hdr_.shoff = load<uint32_t>(p + 32, e);
    o = 36;
  }
  hdr_.flags = load<uint32_t>(p + o, e);
  hdr_.ehsize = load<uint16_t>(p + o + 4, e);
  hdr_.phentsize = load<uint16_t>(p + o + 6, e);
  hdr_.phnum = load<uint16_t>(p + o + 8, e);
  hdr_.shentsize = load<uint16_t>(p + o + 10, e);
  hdr_.shnum = load<uint16_t>(p + o + 12, e);
  hdr_.shstrndx = load<uint16_t>(p + o + 14, e);
  return ok_status();
}

Status ElfFile::parse_sections() {
  const uint64_t fsize = bytes().size();
  const uint64_t shnum_field_off = is64() ? 60 : 48;
  if (hdr_.shoff == 0) {
    if (hdr_.shnum != 0) return err(shnum_field_off, "e_shnum is non-zero but e_shoff is 0");
    hdr_.shstrndx = 0;
    return ok_status();
  }
  if (hdr_.shentsize != shdr_size())
    return err(shnum_field_off - 2, fmt::format("e_shentsize {} is not {}", hdr_.shentsize, shdr_size()));
  if (!in_bounds(hdr_.shoff, shdr_size(), fsize))
    return err(is64() ? 40 : 32, fmt::format("section header table at {:#x} is past end of file", hdr_.shoff));
  // Extended numbering (gABI): section 0 carries the real counts when the header fields overflow.
  SectionHeader sh0 = decode_shdr(bytes().data() + hdr_.shoff, cls(), endian());
  uint64_t shnum = hdr_.shnum == 0 ? sh0.size : hdr_.shnum;
  if (hdr_.shstrndx == SHN_XINDEX) hdr_.shstrndx = sh0.link;
  if (hdr_.phnum == kPnXnum) hdr_.phnum = sh0.info;
  if (shnum == 0) return err(hdr_.shoff, "section header table is empty");
  if (shnum > (fsize - hdr_.shoff) / shdr_size())
    return err(hdr_.shoff, fmt::format("section header table ({} entries) extends past end of file", shnum));
  hdr_.shnum = static_cast<uint32_t>(shnum);
  shdrs_.reserve(shnum);
  for (uint32_t i = 0; i < shnum; ++i) {
    SectionHeader s = decode_shdr(bytes().data() + shdr_offset(i), cls(), endian());
    if (i > 0 && s.type != SHT_NOBITS && s.type != SHT_NULL && !in_bounds(s.offset, s.size, fsize))
      return err(shdr_offset(i), fmt::format("section {} contents [{:#x}, +{:#x}) extend past end of file",
                                             i, s.offset, s.size));
    // gABI: 0 or a power of two. A writer rounds offsets up to it, so garbage here means a garbage
    // (or impossibly large) layout downstream.
    if (i > 0 && (s.addralign & (s.addralign - 1)) != 0)
      return err(shdr_offset(i), fmt::format("section {} sh_addralign {:#x} is not a power of two", i, s.addralign));
    shdrs_.push_back(s);
  }
  if (hdr_.shstrndx >= shnum)
    return err(is64() ? 62 : 50, fmt::format("e_shstrndx {} is out of range ({} sections)", hdr_.shstrndx, shnum));
  return ok_status();
}

Status ElfFile::parse_names() {
  names_.assign(shdrs_.size(), std::string_view());
  if (shdrs_.empty() || hdr_.shstrndx == 0) return ok_status();
  const SectionHeader& st = shdrs_[hdr_.shstrndx];
  if (st.type == SHT_NOBITS) return err(shdr_offset(hdr_.shstrndx), "section name table has no contents");
  auto tab = section_data(hdr_.shstrndx);
  std::vector<uint32_t> offs(shdrs_.size());
  for (uint32_t i = 0; i < shdrs_.size(); ++i) offs[i] = shdrs_[i].name;
  if (auto f = resolve_strings(tab, offs, names_)) {
    uint32_t i = static_cast<uint32_t>(f->which);
    if (f->past_end)
      return err(shdr_offset(i), fmt::format("section {} name offset {:#x} is past the name table", i, offs[i]));
    return err(st.offset + offs[i], fmt::format("section {} name is not NUL-terminated", i));
  }
  return ok_status();
}

// O(1) lookups for symtab_index()/shndx_index_for(), which run once per symbol table.
void ElfFile::index_sections() {
  shndx_of_.assign(shdrs_.size(), 0);
  for (size_t i = shdrs_.size(); i-- > 1;) {  // downwards, so the first one wins
    const SectionHeader& s = shdrs_[i];
    if (s.type == SHT_SYMTAB) symtab_ = static_cast<uint32_t>(i);
    if (s.type == SHT_SYMTAB_SHNDX && s.link < shdrs_.size()) shndx_of_[s.link] = static_cast<uint32_t>(i);
  }
}

Status ElfFile::parse_segments() {
  if (hdr_.phnum == 0) return ok_status();
  const uint64_t fsize = bytes().size();
  if (hdr_.phentsize != phdr_size())
    return err(is64() ? 54 : 42, fmt::format("e_phentsize {} is not {}", hdr_.phentsize, phdr_size()));
  if (!in_bounds(hdr_.phoff, uint64_t{hdr_.phnum} * phdr_size(), fsize))
    return err(is64() ? 32 : 28, fmt::format("program header table at {:#x} extends past end of file", hdr_.phoff));
  phdrs_.reserve(hdr_.phnum);
  for (uint32_t i = 0; i < hdr_.phnum; ++i) {
    uint64_t at = hdr_.phoff + uint64_t{i} * phdr_size();
    ProgramHeader ph = decode_phdr(bytes().data() + at, cls(), endian());
    // PT_NULL slots and segments without file bytes describe no bytes, so their p_offset is not
    // checked: binutils itself puts an empty PT_LOAD's or PT_TLS's offset past the end of the file
    // ("shouldn't matter", bfd/elf.c assign_file_positions_for_load_sections). Users of a segment's
    // bytes must go by p_filesz.
    if (ph.type != PT_NULL && ph.filesz != 0 && !in_bounds(ph.offset, ph.filesz, fsize))
      return err(at, fmt::format("segment {} [{:#x}, +{:#x}) extends past end of file", i, ph.offset, ph.filesz));
    phdrs_.push_back(ph);
  }
  return ok_status();
}

// No two of {ELF header, section header table, program header table, section contents} may share a
// byte. Overlaps never occur in files made by as/ld, and a writer that relocates one section would
// silently corrupt the other. Sort-and-sweep: O(n log n) in the section count.
Status ElfFile::check_overlaps() const {
  struct Range {
    uint64_t begin, end;
    uint32_t section;  // section index, or one of the k* markers below for the header tables
  };
  constexpr uint32_t kHeader = ~0u, kShdrs = ~0u - 1, kPhdrs = ~0u - 2;
  std::vector<Range> r;
  r.reserve(shdrs_.size() + 3);
  r.push_back({0, ehdr_size(), kHeader});
  if (!shdrs_.empty()) r.push_back({hdr_.shoff, hdr_.shoff + uint64_t{hdr_.shnum} * shdr_size(), kShdrs});
  if (!phdrs_.empty()) r.push_back({hdr_.phoff, hdr_.phoff + uint64_t{hdr_.phnum} * phdr_size(), kPhdrs});
  for (uint32_t i = 1; i < shdrs_.size(); ++i) {
    const SectionHeader& s = shdrs_[i];
    if (s.type == SHT_NOBITS || s.type == SHT_NULL || s.size == 0) continue;
    r.push_back({s.offset, s.offset + s.size, i});  // cannot overflow: in_bounds() held in parse
  }
  std::sort(r.begin(), r.end(), [](const Range& a, const Range& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.section < b.section;
  });
  auto what = [this](uint32_t sec) -> std::string {
    if (sec == kHeader) return "the ELF header";
    if (sec == kShdrs) return "the section header table";
    if (sec == kPhdrs) return "the program header table";
    return fmt::format("section {} ({})", sec, names_[sec]);
  };
  size_t widest = 0;  // the range reaching furthest so far
  for (size_t k = 1; k < r.size(); ++k) {
    if (r[k].begin < r[widest].end) {
      uint32_t a = r[widest].section, b = r[k].section;
      uint64_t at = b < kPhdrs ? shdr_offset(b) : r[k].begin;
      return err(at, fmt::format("{} overlaps {} in the file", what(b), what(a)));
    }
    if (r[k].end > r[widest].end) widest = k;
  }
  return ok_status();
}

std::span<const uint8_t> ElfFile::section_data(uint32_t index) const {
  const SectionHeader& s = shdrs_.at(index);
  if (index == 0 || s.type == SHT_NOBITS || s.type == SHT_NULL) return {};
  return bytes().subspan(s.offset, s.size);
}

std::optional<uint32_t> ElfFile::find_section(std::string_view name) const {
  for (uint32_t i = 1; i < shdrs_.size(); ++i)
    if (names_[i] == name) return i;
  return std::nullopt;
}

std::optional<uint32_t> ElfFile::symtab_index() const {
  if (symtab_ == 0) return std::nullopt;
  return symtab_;
}

std::optional<uint32_t> ElfFile::shndx_index_for(uint32_t symtab) const {
  if (symtab >= shndx_of_.size() || shndx_of_[symtab] == 0) return std::nullopt;
  return shndx_of_[symtab];
}

Result<std::string_view> ElfFile::string_at(uint32_t strtab_index, uint32_t offset) const {
  if (strtab_index == 0 || strtab_index >= shdrs_.size())
    return err(kNoOffset, fmt::format("string table index {} is out of range", strtab_index));
  const SectionHeader& st = shdrs_[strtab_index];
  if (st.type != SHT_STRTAB)
    return err(shdr_offset(strtab_index), fmt::format("section {} is not a string table", strtab_index));
  auto tab = section_data(strtab_index);
  if (offset >= tab.size()) {
    if (offset == 0) return std::string_view();  // empty table: name 0 is ""
    return err(st.offset, fmt::format("string offset {:#x} is past the end of section {}", offset, strtab_index));
  }
  const void* nul = std::memchr(tab.data() + offset, 0, tab.size() - offset);
  if (!nul) return err(st.offset + offset, "string is not NUL-terminated");
  return std::string_view(reinterpret_cast<const char*>(tab.data() + offset),
                          static_cast<const uint8_t*>(nul) - (tab.data() + offset));
}

Result<std::vector<Symbol>> ElfFile::symbols(uint32_t idx) const {
  if (idx == 0 || idx >= shdrs_.size()) return err(kNoOffset, fmt::format("symbol table index {} out of range", idx));
  const SectionHeader& s = shdrs_[idx];
  if (s.type != SHT_SYMTAB && s.type != SHT_DYNSYM)
    return err(shdr_offset(idx), fmt::format("section {} is not a symbol table", idx));
  if (s.entsize != sym_size())
    return err(shdr_offset(idx), fmt::format("symbol table entry size {} is not {}", s.entsize, sym_size()));
  if (s.size % sym_size() != 0)
    return err(shdr_offset(idx), fmt::format("symbol table size {:#x} is not a multiple of {}", s.size, sym_size()));
  if (s.link == 0 || s.link >= shdrs_.size() || shdrs_[s.link].type != SHT_STRTAB)
    return err(shdr_offset(idx), fmt::format("symbol table sh_link {} is not a string table", s.link));
  size_t n = s.size / sym_size();
  std::span<const uint8_t> shndx;
  if (auto x = shndx_index_for(idx)) {
    shndx = section_data(*x);
    if (shndx.size() < n * 4)
      return err(shdr_offset(*x), fmt::format("SHT_SYMTAB_SHNDX has {} entries for {} symbols", shndx.size() / 4, n));
  }
  auto data = section_data(idx);
  const uint64_t strsize = shdrs_[s.link].size;
  std::vector<Symbol> out(n);
  Endian e = endian();
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* p = data.data() + i * sym_size();
    Symbol& y = out[i];
    y.name = load<uint32_t>(p, e);
    uint16_t raw_shndx;
    if (is64()) {
      y.info = p[4];
      y.other = p[5];
      raw_shndx = load<uint16_t>(p + 6, e);
      y.value = load<uint64_t>(p + 8, e);
      y.size = load<uint64_t>(p + 16, e);
    } else {
      y.value = load<uint32_t>(p + 4, e);
      y.size = load<uint32_t>(p + 8, e);
      y.info = p[12];
      y.other = p[13];
      raw_shndx = load<uint16_t>(p + 14, e);
    }
    if (y.name != 0 && y.name >= strsize)
      return err(s.offset + i * sym_size(), fmt::format("symbol {} name offset {:#x} is past the string table", i, y.name));
    y.shndx = raw_shndx;
    if (raw_shndx == SHN_XINDEX) {
      if (shndx.empty())
        return err(s.offset + i * sym_size(), fmt::format("symbol {} uses SHN_XINDEX but there is no SHT_SYMTAB_SHNDX", i));
      y.shndx = load<uint32_t>(shndx.data() + i * 4, e);
      y.xindex = true;
    }
    if (y.shndx != 0 && y.shndx < SHN_LORESERVE && y.shndx >= shdrs_.size() && raw_shndx != SHN_XINDEX)
      return err(s.offset + i * sym_size(), fmt::format("symbol {} section index {} is out of range", i, y.shndx));
    if (raw_shndx == SHN_XINDEX && y.shndx >= shdrs_.size())
      return err(s.offset + i * sym_size(), fmt::format("symbol {} extended section index {} is out of range", i, y.shndx));
  }
  return out;
}

// Checks relocation section `idx` and decodes its entries one by one into `visit` (so a caller that
// only validates, like check_tables(), needs no memory per entry: a vmlinux has ~13 million).
template <class Visit>
Status ElfFile::scan_relocations(uint32_t idx, Visit&& visit) const {
  if (idx == 0 || idx >= shdrs_.size()) return err(kNoOffset, fmt::format("relocation section {} out of range", idx));
  const SectionHeader& s = shdrs_[idx];
  bool rela = s.type == SHT_RELA;
  if (!rela && s.type != SHT_REL) return err(shdr_offset(idx), fmt::format("section {} is not a relocation section", idx));
  const RelocCodec codec = reloc_codec(rela);
  size_t es = codec.entry_size();
  if (s.entsize != es) return err(shdr_offset(idx), fmt::format("relocation entry size {} is not {}", s.entsize, es));
  if (s.size % es != 0) return err(shdr_offset(idx), fmt::format("relocation section size {:#x} is not a multiple of {}", s.size, es));
  if (s.info >= shdrs_.size())
    return err(shdr_offset(idx), fmt::format("relocation section {} sh_info {} is not a section index", idx, s.info));
  uint64_t nsyms = 1;  // sh_link 0: only symbol 0 may be referenced
  if (s.link != 0) EH_TRY(check_symtab_link(idx, s.link, &nsyms));
  auto data = section_data(idx);
  size_t n = s.size / es;
  for (size_t i = 0; i < n; ++i) {
    Relocation r = codec.decode(data.data() + i * es);
    if (r.sym >= nsyms)
      return err(s.offset + i * es, invalid_reloc_symbol(section_name(idx), i, r.sym));
    visit(r);
  }
  return ok_status();
}

Result<std::vector<Relocation>> ElfFile::relocations(uint32_t idx) const {
  std::vector<Relocation> out;
  if (idx != 0 && idx < shdrs_.size()) {
    const SectionHeader& s = shdrs_[idx];
    if ((s.type == SHT_REL || s.type == SHT_RELA) && s.entsize == reloc_codec(s.type == SHT_RELA).entry_size())
      out.reserve(s.size / s.entsize);  // bounded by the file size: the section is inside the file
  }
  EH_TRY(scan_relocations(idx, [&](const Relocation& r) { out.push_back(r); }));
  return out;
}

Result<std::vector<std::string_view>> ElfFile::symbol_names(uint32_t idx) const {
  EH_ASSIGN(auto syms, symbols(idx));
  const SectionHeader& s = shdrs_[idx];
  std::vector<uint32_t> offs(syms.size());
  for (size_t i = 0; i < syms.size(); ++i) offs[i] = syms[i].name;
  std::vector<std::string_view> names;
  if (auto f = resolve_strings(section_data(s.link), offs, names)) {
    // past_end cannot happen: symbols() checked every st_name against the table size.
    return err(shdrs_[s.link].offset + offs[f->which],
               fmt::format("symbol {} name is not NUL-terminated", f->which));
  }
  return names;
}

Status ElfFile::check_relocations(uint32_t idx) const {
  return scan_relocations(idx, [](const Relocation&) {});
}

Status ElfFile::check_tables() const {
  // Symbol tables first: relocations and groups refer into them.
  for (uint32_t i = 1; i < shdrs_.size(); ++i)
    if (shdrs_[i].type == SHT_SYMTAB || shdrs_[i].type == SHT_DYNSYM) EH_TRY(symbol_names(i));
  for (uint32_t i = 1; i < shdrs_.size(); ++i) {
    uint32_t t = shdrs_[i].type;
    if (t == SHT_REL || t == SHT_RELA) EH_TRY(check_relocations(i));
    if (t == SHT_GROUP) EH_TRY(group(i));
  }
  return ok_status();
}

// `link` (the sh_link of section `index`) must name a SHT_SYMTAB/SHT_DYNSYM; *count gets its size.
Status ElfFile::check_symtab_link(uint32_t index, uint32_t link, uint64_t* count) const {
  if (link >= shdrs_.size() || (shdrs_[link].type != SHT_SYMTAB && shdrs_[link].type != SHT_DYNSYM))
    return err(shdr_offset(index), fmt::format("section {} sh_link {} is not a symbol table", index, link));
  *count = shdrs_[link].size / sym_size();
  return ok_status();
}

Result<Group> ElfFile::group(uint32_t idx) const {
  if (idx == 0 || idx >= shdrs_.size()) return err(kNoOffset, fmt::format("group section {} out of range", idx));
  const SectionHeader& s = shdrs_[idx];
  if (s.type != SHT_GROUP) return err(shdr_offset(idx), fmt::format("section {} is not a group", idx));
  if (s.size < 4 || s.size % 4 != 0)
    return err(shdr_offset(idx), fmt::format("group section {} size {:#x} is not a non-zero multiple of 4", idx, s.size));
  uint64_t nsyms = 0;
  EH_TRY(check_symtab_link(idx, s.link, &nsyms));
  if (s.info >= nsyms)
    return err(shdr_offset(idx), fmt::format("group section {} signature symbol {} is out of range", idx, s.info));
  auto data = section_data(idx);
  Group g;
  g.flags = load<uint32_t>(data.data(), endian());
  g.members.reserve(data.size() / 4 - 1);
  for (size_t off = 4; off < data.size(); off += 4) {
    uint32_t m = load<uint32_t>(data.data() + off, endian());
    if (m == 0 || m >= shdrs_.size() || m == idx)
      return err(s.offset + off, fmt::format("group section {} member {} is not a valid section index", idx, m));
    g.members.push_back(m);
  }
  return g;
}

}  // namespace elfhash::elf
