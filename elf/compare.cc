#include "elf/compare.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <unordered_map>

#include "elf/bytes.h"
#include "elf/names.h"
#include "elf/mapped_file.h"
#include "merkle/modsig/framing.h"

namespace elfhash::elf {
namespace {

constexpr uint32_t kNone = ~uint32_t{0};
constexpr size_t kShownBytes = 8;  // bytes shown on each side of a content difference

std::string hex(uint64_t v) { return fmt::format("{:#x}", v); }
std::string dec(uint64_t v) { return fmt::format("{}", v); }


std::string reloc_type_name(uint16_t machine, uint32_t t) {
  if (machine == EM_X86_64) {
    switch (t) {
      case 0: return "R_X86_64_NONE";
      case 1: return "R_X86_64_64";
      case 2: return "R_X86_64_PC32";
      case 4: return "R_X86_64_PLT32";
      case 9: return "R_X86_64_GOTPCREL";
      case 10: return "R_X86_64_32";
      case 11: return "R_X86_64_32S";
      case 24: return "R_X86_64_PC64";
      case 41: return "R_X86_64_GOTPCRELX";
      case 42: return "R_X86_64_REX_GOTPCRELX";
      default: break;
    }
  }
  return dec(t);
}

std::string special_shndx_name(uint32_t s) {
  switch (s) {
    case SHN_UNDEF: return "UNDEF";
    case SHN_ABS: return "ABS";
    case SHN_COMMON: return "COMMON";
    default: return hex(s);
  }
}

std::string signed_hex(int64_t v) {
  if (v < 0) return fmt::format("-{:#x}", uint64_t{0} - static_cast<uint64_t>(v));
  return hex(static_cast<uint64_t>(v));
}

// Labels make names unique within a file: the k-th (k >= 1) repeat of a name is "name#k". `match`
// keys use a NUL separator, which printable() never emits, so "x#1" and a symbol literally named
// "x#1" cannot collide.
struct Labels {
  std::vector<std::string> display;
  std::vector<std::string> match;
};

Labels make_labels(std::vector<std::string> bases) {
  Labels l;
  l.display.resize(bases.size());
  l.match.resize(bases.size());
  std::unordered_map<std::string_view, uint32_t> seen;
  seen.reserve(bases.size());
  for (size_t i = 0; i < bases.size(); ++i) {
    uint32_t k = seen[bases[i]]++;
    l.display[i] = k ? fmt::format("{}#{}", bases[i], k) : bases[i];
    l.match[i] = k ? fmt::format("{}{}{}", bases[i], '\0', k) : bases[i];
  }
  return l;
}

// Pairs up items with equal match keys: result[i] is b's index for a's item i, or kNone.
std::vector<uint32_t> match_by_key(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::unordered_map<std::string_view, uint32_t> where;
  where.reserve(b.size());
  for (uint32_t i = 0; i < b.size(); ++i) where.emplace(b[i], i);
  std::vector<uint32_t> out(a.size(), kNone);
  for (uint32_t i = 0; i < a.size(); ++i) {
    auto it = where.find(a[i]);
    if (it != where.end()) out[i] = it->second;
  }
  return out;
}

std::vector<uint32_t> invert(const std::vector<uint32_t>& a2b, size_t nb) {
  std::vector<uint32_t> b2a(nb, kNone);
  for (uint32_t i = 0; i < a2b.size(); ++i)
    if (a2b[i] != kNone) b2a[a2b[i]] = i;
  return b2a;
}

// First index where the two ranges differ, or nullopt. memcmp first: equal data is the common case.
std::optional<uint64_t> first_difference(std::span<const uint8_t> x, std::span<const uint8_t> y) {
  size_t n = std::min(x.size(), y.size());
  if (std::memcmp(x.data(), y.data(), n) == 0) return std::nullopt;
  constexpr size_t kChunk = 4096;
  size_t at = 0;
  while (at + kChunk <= n && std::memcmp(x.data() + at, y.data() + at, kChunk) == 0) at += kChunk;
  while (x[at] == y[at]) ++at;
  return at;
}

std::string bytes_at(std::span<const uint8_t> d, uint64_t at) {
  std::string s;
  for (uint64_t i = at; i < d.size() && i < at + kShownBytes; ++i) {
    if (!s.empty()) s += ' ';
    s += fmt::format("{:02x}", d[i]);
  }
  return s.empty() ? "(end)" : s;
}

// Marks the matched items (i >= from, a2b[i] != kNone) outside one longest strictly increasing
// subsequence of a2b: the items that changed position. O(n log n) patience sorting.
std::vector<bool> moved_items(const std::vector<uint32_t>& a2b, uint32_t from) {
  std::vector<uint32_t> tails;                   // tails[k]: item ending the best run of length k+1
  std::vector<uint32_t> prev(a2b.size(), kNone);  // predecessor of each item in its run
  for (uint32_t i = from; i < a2b.size(); ++i) {
    if (a2b[i] == kNone) continue;
    auto it = std::lower_bound(tails.begin(), tails.end(), a2b[i],
                               [&](uint32_t t, uint32_t v) { return a2b[t] < v; });
    if (it != tails.begin()) prev[i] = *(it - 1);
    if (it == tails.end()) {
      tails.push_back(i);
    } else {
      *it = i;
    }
  }
  std::vector<bool> moved(a2b.size(), false);
  for (uint32_t i = from; i < a2b.size(); ++i) moved[i] = a2b[i] != kNone;
  for (uint32_t i = tails.empty() ? kNone : tails.back(); i != kNone; i = prev[i]) moved[i] = false;
  return moved;
}

// How a section's contents are compared.
enum class ContentMode { kNone, kBytes, kSemantic };

// One file's derived view: labels for sections and symbols, the symbol table.
struct Side {
  const ElfFile* f = nullptr;
  Labels sec;
  std::optional<uint32_t> symtab;
  uint32_t strtab = 0;
  std::vector<Symbol> syms;
  std::vector<bool> sym_special;  // st_shndx is a reserved value (UNDEF/ABS/COMMON/...), not a section
  Labels sym;

  uint32_t nsec() const { return static_cast<uint32_t>(f->sections().size()); }

  Status init() {
    std::vector<std::string> bases(nsec());
    // Section 0 gets a key no real name can have (printable() never emits NUL).
    if (!bases.empty()) bases[0] = std::string(1, '\0');
    for (uint32_t i = 1; i < nsec(); ++i) bases[i] = printable(f->section_name(i));
    sec = make_labels(std::move(bases));
    symtab = f->symtab_index();
    if (!symtab) return ok_status();
    strtab = f->sections()[*symtab].link;
    EH_ASSIGN(syms, f->symbols(*symtab));
    return load_symbol_labels();
  }

  // Section symbols are named by their section (their own names are usually empty), so the same
  // section symbol matches across files whatever the section numbering.
  Status load_symbol_labels() {
    auto raw = f->section_data(*symtab);
    const size_t shndx_off = f->is64() ? 6 : 14;
    std::vector<std::string> bases(syms.size());
    sym_special.assign(syms.size(), false);
    for (size_t i = 0; i < syms.size(); ++i) {
      const Symbol& s = syms[i];
      uint16_t raw_shndx = load<uint16_t>(raw.data() + i * f->sym_size() + shndx_off, f->endian());
      sym_special[i] = raw_shndx == SHN_UNDEF || (raw_shndx >= SHN_LORESERVE && raw_shndx != SHN_XINDEX);
      if (st_type(s.info) == STT_SECTION && !sym_special[i]) {
        bases[i] = "[section " + sec.display[s.shndx] + "]";
        continue;
      }
      EH_ASSIGN(std::string_view name, f->string_at(strtab, s.name));
      bases[i] = printable(name);
    }
    sym = make_labels(std::move(bases));
    return ok_status();
  }

  ContentMode content_mode(uint32_t i) const {
    const SectionHeader& s = f->sections()[i];
    if (s.type == SHT_NOBITS || s.type == SHT_NULL) return ContentMode::kNone;
    // Loaded bytes are what the program sees: compare them as bytes.
    if (s.flags & SHF_ALLOC) return ContentMode::kBytes;
    if (s.type == SHT_STRTAB && i == f->header().shstrndx) return ContentMode::kSemantic;
    if (!symtab) return ContentMode::kBytes;
    if (i == *symtab) return ContentMode::kSemantic;
    if (s.type == SHT_STRTAB && i == strtab) return ContentMode::kSemantic;
    bool linked = s.link == *symtab;
    if (linked && (s.type == SHT_SYMTAB_SHNDX || s.type == SHT_REL || s.type == SHT_RELA || s.type == SHT_GROUP))
      return ContentMode::kSemantic;
    return ContentMode::kBytes;
  }

  std::string sec_ref(uint32_t i) const {
    if (i == 0) return "0";
    if (i < nsec()) return sec.display[i];
    return fmt::format("{} (out of range)", i);
  }

  std::string sym_ref(uint32_t i) const {
    if (i < syms.size()) return sym.display[i];
    return fmt::format("#{} (out of range)", i);
  }

  std::string sym_shndx(uint32_t i) const {
    const Symbol& s = syms[i];
    if (sym_special[i]) return special_shndx_name(s.shndx);
    return sec_ref(s.shndx);
  }
};

class Comparer {
 public:
  Comparer(const ElfFile& a, const ElfFile& b, const CompareOptions& opts, Comparison& out)
      : opts_(opts), out_(out) {
    a_.f = &a;
    b_.f = &b;
  }

  Status run() {
    EH_TRY(a_.init());
    EH_TRY(b_.init());
    sec_a2b_ = match_by_key(a_.sec.match, b_.sec.match);
    sec_a2b_[0] = b_.nsec() ? 0 : kNone;
    sec_b2a_ = invert(sec_a2b_, b_.nsec());
    sym_a2b_ = match_by_key(a_.sym.match, b_.sym.match);
    sym_b2a_ = invert(sym_a2b_, b_.syms.size());
    sym_identity_ = a_.syms.size() == b_.syms.size();
    for (uint32_t i = 0; sym_identity_ && i < sym_a2b_.size(); ++i) sym_identity_ = sym_a2b_[i] == i;

    compare_header();
    if (!stop_) compare_sections();
    if (!stop_) compare_symbols();
    if (!stop_) EH_TRY(compare_relocations());
    if (!stop_) compare_segments();
    return ok_status();
  }

  bool stopped() const { return stop_; }
  void add(DiffCategory c, std::string key, std::string field, std::string a, std::string b,
           uint64_t offset = kNoOffset) {
    if (stop_) return;
    out_.differences.push_back({c, std::move(key), std::move(field), std::move(a), std::move(b), offset});
    if (opts_.max_differences && out_.differences.size() >= opts_.max_differences) stop_ = out_.truncated = true;
  }

 private:
  const ElfFile& fa() const { return *a_.f; }
  const ElfFile& fb() const { return *b_.f; }

  template <class T, class F>
  void field(DiffCategory c, const std::string& key, const char* name, T x, T y, F render) {
    if (x != y) add(c, key, name, render(x), render(y));
  }

  bool same_section(uint32_t x, uint32_t y) const {
    if (x == 0 || y == 0) return x == y;
    bool vx = x < a_.nsec(), vy = y < b_.nsec();
    if (vx && vy) return sec_a2b_[x] == y;
    return vx == vy && x == y;
  }

  bool same_symbol(uint32_t x, uint32_t y) const {
    bool vx = x < a_.syms.size(), vy = y < b_.syms.size();
    if (vx && vy) return sym_a2b_[x] == y;
    return vx == vy && x == y;
  }

  void compare_header() {
    const FileHeader& x = fa().header();
    const FileHeader& y = fb().header();
    const auto H = DiffCategory::kHeader;
    static constexpr const char* kIdent[] = {"EI_CLASS", "EI_DATA", "EI_VERSION", "EI_OSABI", "EI_ABIVERSION"};
    for (int i = 0; i < 5; ++i) field(H, "ELF header", kIdent[i], x.ident[4 + i], y.ident[4 + i], dec);
    if (std::memcmp(x.ident + 9, y.ident + 9, 7) != 0)
      add(H, "ELF header", "EI_PAD", bytes_at({x.ident, 16}, 9), bytes_at({y.ident, 16}, 9));
    field(H, "ELF header", "e_type", x.type, y.type, dec);
    field(H, "ELF header", "e_machine", x.machine, y.machine, dec);
    field(H, "ELF header", "e_version", x.version, y.version, dec);
    field(H, "ELF header", "e_entry", x.entry, y.entry, hex);
    // Where the program headers sit matters once there are some (PT_PHDR, the loader); e_shoff never does.
    if (x.phnum || y.phnum) field(H, "ELF header", "e_phoff", x.phoff, y.phoff, hex);
    field(H, "ELF header", "e_flags", x.flags, y.flags, hex);
    field(H, "ELF header", "e_ehsize", x.ehsize, y.ehsize, dec);
    field(H, "ELF header", "e_phentsize", x.phentsize, y.phentsize, dec);
    field(H, "ELF header", "e_phnum", x.phnum, y.phnum, dec);
    field(H, "ELF header", "e_shentsize", x.shentsize, y.shentsize, dec);
    field(H, "ELF header", "e_shnum", x.shnum, y.shnum, dec);
    if (!same_section(x.shstrndx, y.shstrndx))
      add(H, "ELF header", "e_shstrndx", a_.sec_ref(x.shstrndx), b_.sec_ref(y.shstrndx));
  }

  void compare_sections() {
    const auto S = DiffCategory::kSection;
    for (uint32_t i = 1; i < a_.nsec() && !stop_; ++i) {
      if (sec_a2b_[i] == kNone) {
        add(S, a_.sec.display[i], "presence", "present", "(absent)");
        continue;
      }
      compare_section(i, sec_a2b_[i]);
    }
    for (uint32_t j = 1; j < b_.nsec() && !stop_; ++j)
      if (sec_b2a_[j] == kNone) add(S, b_.sec.display[j], "presence", "(absent)", "present");
    check_order(S, sec_a2b_, 1, [&](uint32_t i) { return a_.sec.display[i]; },
                [&](uint32_t j) { return b_.sec.display[j]; });
  }

  // Matched items must keep their relative order. The items outside a longest increasing run of B
  // positions are the ones that moved; each is reported with its predecessor on both sides.
  template <class LabelA, class LabelB>
  void check_order(DiffCategory c, const std::vector<uint32_t>& a2b, uint32_t from, LabelA label_a, LabelB label_b) {
    std::vector<bool> moved = moved_items(a2b, from);
    for (uint32_t i = from; i < a2b.size() && !stop_; ++i) {
      if (!moved[i]) continue;
      uint32_t j = a2b[i];
      add(c, label_a(i), "order", i > from ? "after " + label_a(i - 1) : "first",
          j > from ? "after " + label_b(j - 1) : "first");
    }
  }

  void compare_section(uint32_t i, uint32_t j) {
    const SectionHeader& x = fa().sections()[i];
    const SectionHeader& y = fb().sections()[j];
    const auto S = DiffCategory::kSection;
    const std::string& key = a_.sec.display[i];
    field(S, key, "sh_type", x.type, y.type, section_type_name);
    field(S, key, "sh_flags", x.flags, y.flags, section_flags);
    field(S, key, "sh_addr", x.addr, y.addr, hex);
    // 0 and 1 both mean "no alignment constraint" (gABI).
    field(S, key, "sh_addralign", std::max<uint64_t>(x.addralign, 1), std::max<uint64_t>(y.addralign, 1), hex);
    field(S, key, "sh_entsize", x.entsize, y.entsize, hex);
    field(S, key, "sh_size", x.size, y.size, hex);
    if (!same_section(x.link, y.link)) add(S, key, "sh_link", a_.sec_ref(x.link), b_.sec_ref(y.link));
    compare_info(key, x, y);
    compare_contents(i, j);
  }

  static bool info_is_section(const SectionHeader& s) {
    return s.type == SHT_REL || s.type == SHT_RELA || (s.flags & SHF_INFO_LINK);
  }

  void compare_info(const std::string& key, const SectionHeader& x, const SectionHeader& y) {
    const auto S = DiffCategory::kSection;
    if (info_is_section(x) && info_is_section(y)) {
      if (!same_section(x.info, y.info)) add(S, key, "sh_info", a_.sec_ref(x.info), b_.sec_ref(y.info));
      return;
    }
    // A group's sh_info is its signature symbol.
    bool x_sig = x.type == SHT_GROUP && a_.symtab && x.link == *a_.symtab;
    bool y_sig = y.type == SHT_GROUP && b_.symtab && y.link == *b_.symtab;
    if (x_sig && y_sig) {
      if (!same_symbol(x.info, y.info)) add(S, key, "sh_info", a_.sym_ref(x.info), b_.sym_ref(y.info));
      return;
    }
    // Otherwise a number, e.g. SHT_SYMTAB's count of local symbols.
    field(S, key, "sh_info", x.info, y.info, dec);
  }

  void compare_contents(uint32_t i, uint32_t j) {
    ContentMode mx = a_.content_mode(i), my = b_.content_mode(j);
    if (mx == ContentMode::kNone || my == ContentMode::kNone) return;
    const SectionHeader& x = fa().sections()[i];
    if (mx == ContentMode::kSemantic && my == ContentMode::kSemantic) {
      // Symbol, string, SHT_SYMTAB_SHNDX and relocation tables are compared entry by entry elsewhere.
      if (x.type == SHT_GROUP && fb().sections()[j].type == SHT_GROUP) compare_group(i, j);
      return;
    }
    auto dx = fa().section_data(i), dy = fb().section_data(j);
    if (auto at = first_difference(dx, dy))
      add(DiffCategory::kSection, a_.sec.display[i], "contents", bytes_at(dx, *at), bytes_at(dy, *at), *at);
  }

  // SHT_GROUP: a flag word (GRP_COMDAT) then member section indices, compared by member name.
  void compare_group(uint32_t i, uint32_t j) {
    auto dx = fa().section_data(i), dy = fb().section_data(j);
    const std::string& key = a_.sec.display[i];
    if (dx.size() % 4 || dy.size() % 4 || dx.empty() || dy.empty()) {
      if (auto at = first_difference(dx, dy))
        add(DiffCategory::kSection, key, "contents", bytes_at(dx, *at), bytes_at(dy, *at), *at);
      return;
    }
    uint32_t gx = load<uint32_t>(dx.data(), fa().endian()), gy = load<uint32_t>(dy.data(), fb().endian());
    field(DiffCategory::kSection, key, "group flags", gx, gy, hex);
    bool same = dx.size() == dy.size();
    for (size_t k = 4; same && k < dx.size(); k += 4)
      same = same_section(load<uint32_t>(dx.data() + k, fa().endian()), load<uint32_t>(dy.data() + k, fb().endian()));
    if (!same) add(DiffCategory::kSection, key, "group members", group_members(a_, dx), group_members(b_, dy));
  }

  static std::string group_members(const Side& s, std::span<const uint8_t> d) {
    std::string out;
    for (size_t k = 4; k < d.size(); k += 4) {
      if (!out.empty()) out += ' ';
      out += s.sec_ref(load<uint32_t>(d.data() + k, s.f->endian()));
    }
    return out.empty() ? "(none)" : out;
  }

  std::string sym_key(const Side& s, uint32_t i) const { return fmt::format("{} [{}]", s.sym.display[i], i); }

  void compare_symbols() {
    const auto Y = DiffCategory::kSymbol;
    for (uint32_t i = 0; i < a_.syms.size() && !stop_; ++i) {
      if (sym_a2b_[i] == kNone) {
        add(Y, sym_key(a_, i), "presence", "present", "(absent)");
        continue;
      }
      compare_symbol(i, sym_a2b_[i]);
    }
    for (uint32_t j = 0; j < b_.syms.size() && !stop_; ++j)
      if (sym_b2a_[j] == kNone) add(Y, sym_key(b_, j), "presence", "(absent)", "present");
    if (!stop_ && !sym_identity_)
      check_order(Y, sym_a2b_, 0, [&](uint32_t i) { return sym_key(a_, i); },
                  [&](uint32_t j) { return sym_key(b_, j); });
  }

  void compare_symbol(uint32_t i, uint32_t j) {
    const Symbol& x = a_.syms[i];
    const Symbol& y = b_.syms[j];
    const auto Y = DiffCategory::kSymbol;
    // Cheap pre-check: most symbols are equal and need no key string.
    bool same_sec = a_.sym_special[i] == b_.sym_special[j] &&
                    (a_.sym_special[i] ? x.shndx == y.shndx : same_section(x.shndx, y.shndx));
    bool names_matter = st_type(x.info) == STT_SECTION || st_type(y.info) == STT_SECTION;
    if (x.value == y.value && x.size == y.size && x.info == y.info && x.other == y.other && same_sec &&
        !names_matter)
      return;
    std::string key = sym_key(a_, i);
    if (names_matter) {
      auto nx = fa().string_at(a_.strtab, x.name), ny = fb().string_at(b_.strtab, y.name);
      std::string sx = nx.ok() ? printable(*nx) : "(bad name)", sy = ny.ok() ? printable(*ny) : "(bad name)";
      if (sx != sy) add(Y, key, "st_name", "\"" + sx + "\"", "\"" + sy + "\"");
    }
    field(Y, key, "st_value", x.value, y.value, hex);
    field(Y, key, "st_size", x.size, y.size, hex);
    field(Y, key, "bind", st_bind(x.info), st_bind(y.info), bind_name);
    field(Y, key, "type", st_type(x.info), st_type(y.info), symbol_type_name);
    field(Y, key, "st_other", x.other, y.other, visibility_name);
    if (!same_sec) add(Y, key, "st_shndx", a_.sym_shndx(i), b_.sym_shndx(j));
  }

  Status compare_relocations() {
    for (uint32_t i = 1; i < a_.nsec() && !stop_; ++i) {
      uint32_t j = sec_a2b_[i];
      if (j == kNone) continue;
      if (!is_symtab_reloc(a_, i) || !is_symtab_reloc(b_, j)) continue;
      EH_TRY(compare_reloc_section(i, j));
    }
    return ok_status();
  }

  static bool is_symtab_reloc(const Side& s, uint32_t i) {
    const SectionHeader& h = s.f->sections()[i];
    return (h.type == SHT_REL || h.type == SHT_RELA) && s.content_mode(i) == ContentMode::kSemantic;
  }

  // Entry size and count, validated as ElfFile::relocations() does. Entries are decoded one at a time
  // instead: vmlinux has ~12.6M relocations and materializing both sides would cost ~600 MB.
  static Result<size_t> reloc_count(const ElfFile& f, uint32_t i) {
    const SectionHeader& s = f.sections()[i];
    size_t es = f.reloc_codec(s.type == SHT_RELA).entry_size();
    uint64_t at = f.shdr_offset(i);
    if (s.entsize != es) return make_error(f.path(), at, fmt::format("relocation entry size {} is not {}", s.entsize, es));
    if (s.size % es) return make_error(f.path(), at, fmt::format("relocation section size {:#x} is not a multiple of {}", s.size, es));
    return s.size / es;
  }

  Status compare_reloc_section(uint32_t i, uint32_t j) {
    const SectionHeader& x = fa().sections()[i];
    const SectionHeader& y = fb().sections()[j];
    EH_ASSIGN(size_t nx, reloc_count(fa(), i));
    EH_ASSIGN(size_t ny, reloc_count(fb(), j));
    auto dx = fa().section_data(i), dy = fb().section_data(j);
    // Fast path: same symbol numbering and same bytes mean the same relocations.
    if (sym_identity_ && x.type == y.type && fa().cls() == fb().cls() && fa().endian() == fb().endian() &&
        dx.size() == dy.size() && !first_difference(dx, dy))
      return ok_status();
    const auto R = DiffCategory::kRelocation;
    const std::string& label = a_.sec.display[i];
    if (nx != ny) add(R, label, "entries", dec(nx), dec(ny));
    bool rx = x.type == SHT_RELA, ry = y.type == SHT_RELA;
    const RelocCodec cx = fa().reloc_codec(rx), cy = fb().reloc_codec(ry);
    const size_t ex = cx.entry_size(), ey = cy.entry_size();
    uint16_t mx = fa().header().machine, my = fb().header().machine;
    for (size_t k = 0; k < std::min(nx, ny) && !stop_; ++k) {
      Relocation a = cx.decode(dx.data() + k * ex);
      Relocation b = cy.decode(dy.data() + k * ey);
      bool same_sym = same_symbol(a.sym, b.sym);
      if (a.offset == b.offset && a.type == b.type && a.addend == b.addend && same_sym) continue;
      std::string key = fmt::format("{} [{}]", label, k);
      field(R, key, "r_offset", a.offset, b.offset, hex);
      if (a.type != b.type) add(R, key, "type", reloc_type_name(mx, a.type), reloc_type_name(my, b.type));
      if (!same_sym) add(R, key, "symbol", a_.sym_ref(a.sym), b_.sym_ref(b.sym));
      field(R, key, "r_addend", a.addend, b.addend, signed_hex);
    }
    return ok_status();
  }

  void compare_segments() {
    const auto& px = fa().segments();
    const auto& py = fb().segments();
    const auto G = DiffCategory::kSegment;
    if (px.size() != py.size()) add(G, "program headers", "count", dec(px.size()), dec(py.size()));
    for (size_t k = 0; k < std::min(px.size(), py.size()) && !stop_; ++k) {
      const ProgramHeader& x = px[k];
      const ProgramHeader& y = py[k];
      std::string key = fmt::format("[{}] {}", k, segment_type_name(x.type));
      field(G, key, "p_type", x.type, y.type, segment_type_name);
      field(G, key, "p_flags", x.flags, y.flags, segment_flags);
      field(G, key, "p_offset", x.offset, y.offset, hex);
      field(G, key, "p_vaddr", x.vaddr, y.vaddr, hex);
      field(G, key, "p_paddr", x.paddr, y.paddr, hex);
      field(G, key, "p_filesz", x.filesz, y.filesz, hex);
      field(G, key, "p_memsz", x.memsz, y.memsz, hex);
      field(G, key, "p_align", x.align, y.align, hex);
      if (x.type == PT_LOAD && y.type == PT_LOAD && (x.filesz || y.filesz)) {
        // parse() checked that both ranges lie inside the files when they are not empty (an empty
        // segment's p_offset may be anywhere).
        auto bytes_of = [](const ElfFile& f, const ProgramHeader& p) {
          return p.filesz ? f.bytes().subspan(p.offset, p.filesz) : std::span<const uint8_t>{};
        };
        auto dx = bytes_of(fa(), x), dy = bytes_of(fb(), y);
        if (auto at = first_difference(dx, dy)) add(G, key, "loaded bytes", bytes_at(dx, *at), bytes_at(dy, *at), *at);
      }
    }
  }

  const CompareOptions& opts_;
  Comparison& out_;
  Side a_, b_;
  std::vector<uint32_t> sec_a2b_, sec_b2a_, sym_a2b_, sym_b2a_;
  bool sym_identity_ = false;
  bool stop_ = false;
};

std::string describe_trailer(const std::optional<TrailerFrame>& t) {
  if (!t) return "(absent)";
  return fmt::format("{}, {} bytes", trailer_type_name(t->id_type), t->sig_len);
}

// The ELF part of a file with a trailer, parsed on its own so that nothing past the image (which the
// kernel hashes or verifies) is looked at. If that part does not parse, the marker-like bytes belong to
// the ELF file and there is no trailer.
std::optional<ElfFile> elf_part(const ElfFile& f, std::optional<TrailerFrame>& t) {
  if (!t) return std::nullopt;
  auto part = ElfFile::parse(MappedFile::from_memory(f.bytes().first(t->elf_size), f.path()));
  if (!part.ok()) {
    t.reset();
    return std::nullopt;
  }
  return std::move(part).value();
}

void compare_trailers(const ElfFile& a, const ElfFile& b, const std::optional<TrailerFrame>& ta,
                      const std::optional<TrailerFrame>& tb, Comparer& c) {
  const auto T = DiffCategory::kTrailer;
  if (!ta || !tb) {
    if (ta || tb) c.add(T, "module_signature", "presence", describe_trailer(ta), describe_trailer(tb));
    return;
  }
  if (ta->id_type != tb->id_type)
    c.add(T, "module_signature", "id_type", trailer_type_name(ta->id_type), trailer_type_name(tb->id_type));
  if (ta->sig_len != tb->sig_len) c.add(T, "module_signature", "sig_len", dec(ta->sig_len), dec(tb->sig_len));
  auto dx = a.bytes().subspan(ta->elf_size), dy = b.bytes().subspan(tb->elf_size);
  if (auto at = first_difference(dx, dy)) c.add(T, "module_signature", "bytes", bytes_at(dx, *at), bytes_at(dy, *at), *at);
}

}  // namespace

std::string_view category_name(DiffCategory c) {
  switch (c) {
    case DiffCategory::kHeader: return "header";
    case DiffCategory::kSection: return "section";
    case DiffCategory::kSymbol: return "symbol";
    case DiffCategory::kRelocation: return "relocation";
    case DiffCategory::kSegment: return "segment";
    case DiffCategory::kTrailer: return "trailer";
  }
  return "?";
}

std::string trailer_type_name(uint8_t id_type) {
  switch (id_type) {
    case 2: return "PKCS#7";
    case 3: return "Merkle";
    default: return fmt::format("id_type {}", id_type);
  }
}

std::optional<TrailerFrame> find_trailer(std::span<const uint8_t> file) {
  merkle::Frame f = merkle::frame_trailer(file);
  if (f.status != merkle::Framing::kOk) return std::nullopt;
  return TrailerFrame{f.image_size, f.info.id_type, f.info.sig_len};
}

Result<Comparison> compare_elf(const ElfFile& a, const ElfFile& b, const CompareOptions& opts) {
  Comparison out;
  auto ta = find_trailer(a.bytes()), tb = find_trailer(b.bytes());
  std::optional<ElfFile> pa = elf_part(a, ta), pb = elf_part(b, tb);
  const ElfFile& ea = pa ? *pa : a;
  const ElfFile& eb = pb ? *pb : b;
  out.elf_size_a = ea.bytes().size();
  out.elf_size_b = eb.bytes().size();
  out.byte_identical = out.elf_size_a == out.elf_size_b && !first_difference(ea.bytes(), eb.bytes());
  Comparer c(ea, eb, opts, out);
  EH_TRY(c.run());
  if (!opts.ignore_trailer && !c.stopped()) compare_trailers(a, b, ta, tb, c);
  return out;
}

}  // namespace elfhash::elf
