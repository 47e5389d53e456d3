#include "elf/ops.h"

#include <fmt/core.h>

#include <set>
#include <sstream>
#include <unordered_set>

#include "elf/atomic_file.h"
#include "elf/bytes.h"
#include "elf/small_file.h"

namespace elfhash::elf {
namespace {

struct FlagWord {
  const char* word;
  uint32_t flag;
};
constexpr FlagWord kFlagWords[] = {
    {"alloc", kSecAlloc}, {"load", kSecLoad}, {"noload", kSecNoload}, {"readonly", kSecReadonly},
    {"debug", kSecDebug}, {"code", kSecCode}, {"data", kSecData}, {"rom", kSecRom},
    {"exclude", kSecExclude}, {"share", kSecShare}, {"contents", kSecContents}, {"merge", kSecMerge},
    {"strings", kSecStrings}, {"large", kSecLarge},
};

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

Error obj_error(const Object& o, const Section* s, std::string msg) {
  uint64_t off = s && s->in_index ? o.input().header().shoff + uint64_t{s->in_index} * o.input().shdr_size()
                                  : kNoOffset;
  return make_error(o.input().path(), off, std::move(msg));
}

// binutils handle_remove_section_option: "-R .relaX" / "-R .relX" also removes the relocations that
// apply to sections matching "X" (so "-R '.rel*'" drops every section's relocations).
PatternList reloc_removal_patterns(const PatternList& remove) {
  PatternList out;
  for (const auto& p : remove.patterns()) {
    if (!starts_with(p, ".rel")) continue;
    std::string rest = p.substr(4);
    if (!rest.empty() && rest[0] == 'a') rest.erase(0, 1);
    if (!rest.empty()) out.add(rest);
  }
  return out;
}

bool is_regenerated(const Object& o, const Section& s) {
  // Tables elfhash rebuilds itself, like binutils: never matched by -R/-j.
  return &s == o.symtab || (o.symtab && &s == o.symtab->link) || &s == o.shstrtab ||
         s.hdr.type == SHT_SYMTAB_SHNDX || o.is_attached_reloc(s);
}

void mark_removed_sections(Object& o, const CopyOptions& opt) {
  for (auto& s : o.sections) {
    if (is_regenerated(o, *s)) continue;
    bool remove = opt.remove_sections.matches(s->name);
    if (!opt.only_sections.empty() && !opt.only_sections.matches(s->name)) remove = true;
    if (opt.strip != StripMode::kNone && is_debug_section(*s)) remove = true;
    if (remove) s->removed = true;
  }
}

// A group whose members are all gone goes too (binutils is_strip_section on SEC_GROUP). Members are
// looked up by input index (O(1)), so this is linear in the total size of the groups: 8000 COMDAT
// groups no longer cost groups x sections.
void remove_empty_groups(Object& o) {
  const auto& in = o.input();
  for (auto& g : o.sections) {
    if (g->removed || g->hdr.type != SHT_GROUP) continue;
    auto d = g->data;
    bool any = false;
    for (size_t i = 4; i + 4 <= d.size() && !any; i += 4) {
      const Section* m = o.by_input_index(load<uint32_t>(d.data() + i, in.endian()));
      any = m && !m->removed;
    }
    if (!any && d.size() > 4) g->removed = true;
  }
}

void remove_attached_relocs(Object& o, const CopyOptions& opt) {
  PatternList reloc_patterns = reloc_removal_patterns(opt.remove_sections);
  for (auto& s : o.sections) {
    if (!o.is_attached_reloc(*s)) continue;
    const Section* target = s->info_section;
    if (target->removed || reloc_patterns.matches(target->name)) s->removed = true;
  }
}

// A NOBITS section that gains contents changes type, so the checks the reader made for NOBITS (none on
// sh_offset and sh_size) no longer cover it: its size is an allocation and output bytes. It is
// bounded by the output budget (elf/limits.h). In a file with program headers an allocated section
// keeps its file offset (docs/elf-engine.md), but a NOBITS one has no file bytes there: GNU objcopy
// re-lays out the segments to make room, which elfhash does not do, so that is a clear error.
Status give_contents(Object& o, Section& s, uint64_t& budget) {
  if (s.is_alloc() && !o.segments.empty() && s.in_index != 0)
    return obj_error(o, &s, fmt::format("--set-section-flags: NOBITS section {} would gain contents at a fixed "
                                        "address in a file with program headers (GNU objcopy re-lays out the "
                                        "segments; elfhash keeps allocated bytes in place)",
                                        s.name));
  if (s.hdr.size > budget)
    return obj_error(o, &s, fmt::format("--set-section-flags: NOBITS section {} of size {:#x} would gain contents "
                                        "beyond the output bound of {:#x} bytes (input size + added sections + "
                                        "64 MiB, docs/threat-model.md)",
                                        s.name, s.hdr.size, budget));
  budget -= s.hdr.size;
  s.set_contents(std::vector<uint8_t>(s.hdr.size, 0));
  s.hdr.type = SHT_PROGBITS;
  return ok_status();
}

// binutils: new ELF flags come from the BFD flag words; OS/processor-specific and structural ELF
// flags (group, link-order, info-link, TLS) are carried over from the input.
Status set_flags(Object& o, Section& s, uint32_t f, uint64_t& budget) {
  constexpr uint64_t kKeep = SHF_GROUP | SHF_LINK_ORDER | SHF_INFO_LINK | SHF_TLS | 0x0ff00000 | 0xf0000000;
  uint64_t flags = s.hdr.flags & kKeep & ~uint64_t{SHF_EXCLUDE};
  if (f & kSecAlloc) flags |= SHF_ALLOC;
  // BFD's elf_fake_sections: SHF_WRITE whenever the section is not SEC_READONLY, allocated or not
  // (GNU objcopy --set-section-flags .debug_str=noload gives "W").
  if (!(f & kSecReadonly)) flags |= SHF_WRITE;
  if (f & kSecCode) flags |= SHF_EXECINSTR;
  if (f & kSecExclude) flags |= SHF_EXCLUDE;
  if (f & kSecMerge) flags |= SHF_MERGE;
  if (f & kSecStrings) flags |= SHF_STRINGS;
  s.hdr.flags = flags;
  // binutils keeps SEC_HAS_CONTENTS from the input whatever the new flags say, so a section with
  // contents stays PROGBITS even with "noload"; a NOBITS section gains contents with load/contents.
  if (s.hdr.type == SHT_NOBITS && (f & (kSecLoad | kSecContents))) EH_TRY(give_contents(o, s, budget));
  return ok_status();
}

// binutils find_section_list: a matching '!' pattern anywhere on the command line leaves the
// section alone; otherwise the LAST matching --set-section-flags wins (objcopy prepends each option
// to its list and takes the first match). arm64 and ppc64le vmlinux have an allocated .rela.dyn that
// kbuild's ".rel*=noload" must not touch because of its "!.rel*.dyn".
const std::pair<std::string, uint32_t>* flags_for(const std::string& name, const CopyOptions& opt) {
  const std::pair<std::string, uint32_t>* match = nullptr;
  for (const auto& entry : opt.set_flags) {
    const std::string& pattern = entry.first;
    const bool negated = !pattern.empty() && pattern[0] == '!';
    PatternList one;
    one.add(negated ? pattern.substr(1) : pattern);
    if (!one.matches(name)) continue;
    if (negated) return nullptr;
    match = &entry;
  }
  return match;
}

Status apply_set_flags(Object& o, const CopyOptions& opt) {
  if (opt.set_flags.empty()) return ok_status();
  uint64_t budget = o.output_limit();
  for (auto& s : o.sections) {
    if (s->removed || is_regenerated(o, *s)) continue;
    if (const auto* m = flags_for(s->name, opt)) EH_TRY(set_flags(o, *s, m->second, budget));
  }
  return ok_status();
}

Status update_one(Object& o, const std::string& name, std::vector<uint8_t> bytes) {
  Section* s = nullptr;
  for (auto& c : o.sections)
    if (c->name == name) s = c.get();
  if (!s) return make_error(o.input().path(), kNoOffset, fmt::format("--update-section: no section named '{}'", name));
  if (s->removed) return obj_error(o, s, fmt::format("section {} matches both update and remove options", name));
  if (s->is_nobits()) return obj_error(o, s, fmt::format("section {} has no contents to update", name));
  bool pinned = s->is_alloc() && !o.segments.empty();
  if (pinned && bytes.size() != s->data.size())
    return obj_error(o, s, fmt::format("--update-section {}: new size {} differs from {} and the section is "
                                       "allocated in a file with program headers (its address is fixed)",
                                       name, bytes.size(), s->data.size()));
  s->set_contents(std::move(bytes));
  return ok_status();
}

Status apply_update_sections(Object& o, const CopyOptions& opt) {
  for (const auto& u : opt.update_sections) {
    EH_ASSIGN(auto bytes, read_regular_file(u.file));
    o.added_bytes += bytes.size();
    EH_TRY(update_one(o, u.section, std::move(bytes)));
  }
  for (const auto& [name, bytes] : opt.update_contents) {
    o.added_bytes += bytes.size();
    EH_TRY(update_one(o, name, bytes));
  }
  return ok_status();
}

Status apply_add_sections(Object& o, const CopyOptions& opt) {
  // binutils prepends each --add-section to its list, so the sections land in reverse option order.
  for (auto it = opt.add_sections.rbegin(); it != opt.add_sections.rend(); ++it) {
    const SectionFile& a = *it;
    for (auto& c : o.sections)
      if (!c->removed && c->name == a.section)
        return obj_error(o, c.get(), fmt::format("--add-section: section '{}' already exists", a.section));
    EH_ASSIGN(auto bytes, read_regular_file(a.file));
    o.added_bytes += bytes.size();
    auto s = std::make_unique<Section>();
    s->name = a.section;
    // binutils gives a new section a type by name (.note* is SHT_NOTE) and alignment 1.
    s->hdr.type = starts_with(a.section, ".note") ? SHT_NOTE : SHT_PROGBITS;
    s->hdr.addralign = 1;
    s->set_contents(std::move(bytes));
    o.sections.push_back(std::move(s));
  }
  return ok_status();
}

bool symbol_filtering_requested(const CopyOptions& opt) {
  return opt.strip != StripMode::kNone || !opt.strip_symbols.empty() || !opt.strip_unneeded_symbols.empty() ||
         !opt.remove_sections.empty() || !opt.only_sections.empty();
}

bool special_section_removed(const Sym& y, const CopyOptions& opt) {
  const char* name = y.special == SHN_ABS ? "*ABS*" : y.special == SHN_COMMON ? "*COM*" : y.special == SHN_UNDEF ? "*UND*" : nullptr;
  if (!name) return false;
  if (opt.remove_sections.matches(name)) return true;
  return !opt.only_sections.empty() && !opt.only_sections.matches(name);
}

PatternList symbol_patterns(const std::vector<std::string>& names, bool wildcard) {
  PatternList p(wildcard);
  for (const auto& n : names) p.add(n);
  return p;
}

// binutils filter_symbols for a symbol that no kept relocation uses, in the strip modes elfhash
// supports. (A symbol a relocation uses is GNU's BSF_KEEP and always survives this test.)
bool keep_unused_symbol(const Object& o, const Sym& y, StripMode strip) {
  // BFD flag equivalents: BSF_GLOBAL is a defined global; undefined and common symbols are neither
  // global nor local; STT_SECTION and STT_FILE symbols are BSF_DEBUGGING.
  const bool special = y.is_undefined() || y.is_common();
  const bool global = !special && (y.bind() == STB_GLOBAL || y.bind() == STB_GNU_UNIQUE);
  const bool weak = y.bind() == STB_WEAK;
  const bool debugging = y.type() == STT_SECTION || y.type() == STT_FILE;
  if (o.is_relocatable() && (global || weak || y.is_common())) return true;
  if (global || weak || special) return strip != StripMode::kUnneeded;
  if (debugging) return strip == StripMode::kNone;
  return strip != StripMode::kUnneeded;  // plain local
}

// Everything filter_symbols needs to know about one symbol except whether a relocation uses it.
struct SymbolFacts {
  bool keep_if_unused = false;  // keep_unused_symbol()
  bool named = false;           // matches -N/--strip-symbol
  bool unneeded = false;        // matches --strip-unneeded-symbol
  bool home_removed = false;    // its section (or BFD's pseudo-section *ABS*/*COM*/*UND*) is removed
};

enum class Fate : uint8_t { kKeep, kDrop, kRefuse };

Fate symbol_fate(const SymbolFacts& f, bool used_in_reloc) {
  bool keep = used_in_reloc || f.keep_if_unused;
  if (keep && f.named) {
    if (used_in_reloc) return Fate::kRefuse;  // binutils: "not stripping symbol ... used in relocations"
    keep = false;
  }
  if (keep && !used_in_reloc && f.unneeded) keep = false;
  if (keep && f.home_removed) keep = false;
  return keep ? Fate::kKeep : Fate::kDrop;
}

// binutils mark_symbols_used_in_relocations: every relocation of a section that is kept marks its
// symbol (used[sym] = 1), even when the relocation section itself is being removed (-R '.rel*').
// Only the symbol index is needed, so the raw entries are scanned without decoding them.
Status mark_symbols_used_in_relocs(const Object& o, std::vector<uint8_t>& used) {
  const ElfFile& in = o.input();
  const uint32_t nsyms = static_cast<uint32_t>(o.symbols.size());
  const size_t info_at = in.is64() ? 8 : 4;
  for (auto& s : o.sections) {
    if (!o.is_attached_reloc(*s) || s->info_section->removed || s->contents_changed) continue;
    const bool rela = s->hdr.type == SHT_RELA;
    const size_t es = in.rel_size(rela);
    if (s->hdr.entsize != es || s->data.size() % es != 0)
      return obj_error(o, s.get(), fmt::format("relocation section {} has entry size {} (expected {})", s->name, s->hdr.entsize, es));
    const uint8_t* p = s->data.data() + info_at;
    const size_t n = s->data.size() / es;
    for (size_t i = 0; i < n; ++i, p += es) {
      uint32_t sym = in.is64() ? static_cast<uint32_t>(load<uint64_t>(p, in.endian()) >> 32)
                               : load<uint32_t>(p, in.endian()) >> 8;
      if (sym > nsyms)
        return make_error(in.path(), s->hdr.offset + i * es,
                          fmt::format("relocation {} of {} refers to symbol {} of {}", i, s->name, sym, nsyms + 1));
      used[sym] = 1;  // used[0] (no symbol) is ignored
    }
  }
  return ok_status();
}

Status filter_symbols(Object& o, const CopyOptions& opt) {
  PatternList strip_named = symbol_patterns(opt.strip_symbols, opt.wildcard);
  PatternList strip_unneeded = symbol_patterns(opt.strip_unneeded_symbols, opt.wildcard);
  const size_t n = o.symbols.size();
  std::vector<SymbolFacts> facts(n);
  std::vector<uint8_t> used(n + 1, 0);  // by input symbol index
  // Group signatures must survive like symbols used in relocations.
  for (auto& g : o.sections) {
    if (g->removed || g->hdr.type != SHT_GROUP) continue;
    if (g->hdr.info != 0 && g->hdr.info <= n) used[g->hdr.info] = 1;
  }
  bool relocs_matter = false;
  for (size_t i = 0; i < n; ++i) {
    const Sym& y = o.symbols[i];
    SymbolFacts& f = facts[i];
    f.keep_if_unused = keep_unused_symbol(o, y, opt.strip);
    f.named = !strip_named.empty() && strip_named.matches(y.name);
    f.unneeded = !strip_unneeded.empty() && strip_unneeded.matches(y.name);
    f.home_removed = y.section ? y.section->removed : special_section_removed(y, opt);
    if (!used[i + 1] && symbol_fate(f, false) != symbol_fate(f, true)) relocs_matter = true;
  }
  // Reading the relocations is only worth it when some symbol's fate depends on them. For the kbuild
  // vmlinux command no symbol does, and this skips ~300 MB of .rela.* (whose sections are removed).
  if (relocs_matter) EH_TRY(mark_symbols_used_in_relocs(o, used));
  for (size_t i = 0; i < n; ++i) {
    Sym& y = o.symbols[i];
    Fate fate = symbol_fate(facts[i], used[i + 1]);
    if (fate == Fate::kRefuse)
      return make_error(o.input().path(), kNoOffset,
                        fmt::format("cannot strip symbol '{}': it is named in a relocation", y.name));
    y.removed = fate == Fate::kDrop;
  }
  return ok_status();
}

}  // namespace

bool parse_section_flags(const std::string& text, uint32_t* flags, std::string* bad) {
  *flags = 0;
  std::stringstream ss(text);
  std::string w;
  while (std::getline(ss, w, ',')) {
    bool found = false;
    for (const auto& fw : kFlagWords)
      if (w == fw.word) {
        *flags |= fw.flag;
        found = true;
      }
    if (!found) {
      *bad = w;
      return false;
    }
  }
  return true;
}

bool is_debug_section(const Section& s) {
  if (s.is_alloc()) return false;
  std::string_view n = s.name;
  // binutils _bfd_elf_make_section_from_shdr marks these names SEC_DEBUGGING.
  return starts_with(n, ".debug") || starts_with(n, ".gnu.debuglto_.debug_") ||
         starts_with(n, ".gnu.linkonce.wi.") || starts_with(n, ".zdebug") || starts_with(n, ".line") ||
         starts_with(n, ".stab") || n == ".gdb_index";
}

Status dump_sections(const Object& o, const CopyOptions& opt) {
  for (const auto& d : opt.dump_sections) {
    const Section* s = nullptr;
    for (auto& c : o.sections)
      if (c->name == d.section) {
        s = c.get();
        break;
      }
    if (!s) return make_error(o.input().path(), kNoOffset, fmt::format("--dump-section: no section named '{}'", d.section));
    if (s->is_nobits()) return obj_error(o, s, fmt::format("--dump-section: section '{}' has no contents", d.section));
    EH_TRY(write_file_atomic(d.file, s->data, 0644));
  }
  return ok_status();
}

Status apply(Object& o, const CopyOptions& opt) {
  mark_removed_sections(o, opt);
  EH_TRY(apply_update_sections(o, opt));
  EH_TRY(apply_set_flags(o, opt));
  remove_empty_groups(o);
  remove_attached_relocs(o, opt);
  EH_TRY(apply_add_sections(o, opt));
  if (symbol_filtering_requested(opt)) EH_TRY(filter_symbols(o, opt));
  return ok_status();
}

}  // namespace elfhash::elf
