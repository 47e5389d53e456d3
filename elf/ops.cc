#include "elf/ops.h"

#include <fmt/core.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <bit>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "elf/atomic_file.h"
#include "elf/build_notes.h"
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

Status set_flags(Object& o, Section& s, uint32_t f, uint64_t& budget);

Error obj_error(const Object& o, const Section* s, std::string msg) {
  uint64_t off = s && s->in_index ? o.input().shdr_offset(s->in_index) : kNoOffset;
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

// One value per distinct section pattern, as binutils keeps them: a repeated pattern updates its
// entry, and PatternList::find_gnu picks the entry binutils find_section_list would.
template <class T>
class SectionValues {
 public:
  explicit SectionValues(const std::vector<std::pair<std::string, T>>& given) {
    for (const auto& [pattern, value] : given) {
      const auto& ps = patterns_.patterns();
      auto it = std::find(ps.begin(), ps.end(), pattern);
      if (it != ps.end()) {
        values_[it - ps.begin()] = value;
      } else {
        patterns_.add(pattern);
        values_.push_back(value);
      }
    }
  }
  const T* find(std::string_view name) const {
    int i = patterns_.find_gnu(name);
    return i < 0 ? nullptr : &values_[i];
  }

 private:
  PatternList patterns_;
  std::vector<T> values_;
};

// binutils is_strip_section_1: the stripping modes (and -x) remove SEC_DEBUGGING sections except
// the debuglink ones; --strip-dwo removes only the debugging sections named *.dwo. --extract-dwo
// removes debugging sections here only together with -x (its own rule is mark_removed_sections').
bool stripped_as_debug(const Section& s, const CopyOptions& opt) {
  if (!is_debug_section(s)) return false;
  if (opt.strip == StripMode::kDwo) return std::string_view(s.name).ends_with(".dwo");
  if (opt.strip == StripMode::kNonDebug) return false;
  if (opt.strip == StripMode::kNonDwo && opt.discard != DiscardLocals::kAll) return false;
  if (opt.strip == StripMode::kNone && opt.discard != DiscardLocals::kAll) return false;
  return s.name != ".gnu_debuglink" && s.name != ".gnu_debugaltlink";
}

void mark_removed_sections(Object& o, const CopyOptions& opt) {
  for (auto& s : o.sections) {
    if (o.kind(*s).regenerated) continue;  // binutils: never matched by -R/-j
    if (opt.keep_sections.matches(s->name)) continue;  // --keep-section overrides every removal
    bool remove = opt.remove_sections.matches(s->name);
    if (!opt.only_sections.empty() && !opt.only_sections.matches(s->name)) remove = true;
    if (stripped_as_debug(*s, opt)) remove = true;
    // binutils is_strip_section_1, STRIP_NONDWO: every section but the *.dwo ones, allocated or not.
    if (opt.strip == StripMode::kNonDwo && !std::string_view(s->name).ends_with(".dwo")) remove = true;
    if (remove) s->removed = true;
  }
}

// binutils is_strip_section on SEC_GROUP (PR binutils/3181): a group goes when its signature symbol
// is stripped (--strip-all without -K, or -N), or when all its members are gone.
bool group_signature_stripped(const Object& o, const Section& g, const CopyOptions& opt) {
  if (g.hdr.info == 0 || g.hdr.info > o.symbols.size()) return false;
  std::string_view sig = o.symbols[g.hdr.info - 1].name;
  auto named = [&](const std::vector<std::string>& names) {
    PatternList p(opt.wildcard);
    for (const auto& n : names) p.add(n);
    return p.matches(sig);
  };
  return (opt.strip == StripMode::kAll && !named(opt.keep_symbols)) || named(opt.strip_symbols);
}

// A group whose members are all gone goes too (binutils is_strip_section on SEC_GROUP). Members are
// looked up by input index (O(1)), so this is linear in the total size of the groups: 8000 COMDAT
// groups no longer cost groups x sections.
void remove_empty_groups(Object& o, const CopyOptions& opt) {
  const auto& in = o.input();
  for (auto& g : o.sections) {
    if (g->removed || g->hdr.type != SHT_GROUP) continue;
    if (group_signature_stripped(o, *g, opt)) {
      g->removed = true;
      continue;
    }
    // BFD's member list (elf_next_in_group) has no relocation sections: they are attached to their
    // section and go with it, so a group whose other members all go is removed (binutils group-7c).
    auto d = g->data;
    bool any = false;
    for (size_t i = 4; i + 4 <= d.size() && !any; i += 4) {
      const Section* m = o.by_input_index(load<uint32_t>(d.data() + i, in.endian()));
      any = m && !m->removed && !o.is_attached_reloc(*m);
    }
    if (!any && d.size() > 4) g->removed = true;
  }
}

// The members of a removed group stay, as ordinary sections: BFD sets SHF_GROUP only on members of
// a group it writes (--strip-all of a C++ object keeps its COMDAT sections without their groups).
void ungroup_members_of_removed_groups(Object& o) {
  std::vector<Section*> by_in(o.input().sections().size(), nullptr);
  for (auto& s : o.sections)
    if (s->in_index && s->in_index < by_in.size()) by_in[s->in_index] = s.get();
  for (auto& g : o.sections) {
    if (!g->removed || g->hdr.type != SHT_GROUP) continue;
    for (size_t i = 4; i + 4 <= g->data.size(); i += 4) {
      uint32_t idx = load<uint32_t>(g->data.data() + i, o.input().endian());
      if (idx < by_in.size() && by_in[idx]) by_in[idx]->hdr.flags &= ~uint64_t{SHF_GROUP};
    }
  }
}

PatternList symbol_patterns(const std::vector<std::string>& names, bool wildcard);

// The codec of an attached relocation section whose entries it is about to read, after checking
// that sh_entsize and the size agree with it.
Result<RelocCodec> entry_codec(const Object& o, const Section& s) {
  const RelocCodec codec = o.input().reloc_codec(s.hdr.type == SHT_RELA);
  const size_t es = codec.entry_size();
  if (s.hdr.entsize != es || s.data.size() % es != 0)
    return obj_error(o, &s, fmt::format("relocation section {} has entry size {} (expected {})", s.name, s.hdr.entsize, es));
  return codec;
}

// BFD's HAS_RELOC: the input has a relocation section attached to .symtab.
bool has_attached_relocs(const Object& o) {
  for (const auto& s : o.sections)
    if (o.is_attached_reloc(*s)) return true;
  return false;
}

// --strip-all with -K (binutils copy_relocations_in_section): only the relocation entries whose
// symbol is named by -K stay (a section symbol goes by its section's name); a section left with
// none is dropped (bfd_set_reloc with no entries clears SEC_RELOC).
Status keep_relocs_of_kept_symbols(Object& o, Section& s, const PatternList& keep) {
  EH_ASSIGN(const RelocCodec codec, entry_codec(o, s));
  const size_t es = codec.entry_size();
  std::vector<uint8_t> kept;
  for (size_t off = 0; off < s.data.size(); off += es) {
    const uint32_t sym = codec.symbol(s.data.data() + off);
    if (sym == 0 || sym > o.symbols.size()) continue;
    const Sym& y = o.symbols[sym - 1];
    const std::string_view name = y.type() == STT_SECTION && y.section ? std::string_view(y.section->name) : y.name;
    if (keep.matches(name)) kept.insert(kept.end(), s.data.begin() + off, s.data.begin() + off + es);
  }
  if (kept.empty())
    s.removed = true;
  else if (kept.size() != s.data.size())
    s.set_contents(std::move(kept));
  return ok_status();
}

// binutils copy_relocations_in_section: relocations go with their section, with -R .relX, with
// --remove-relocations X, and with --strip-all (all of them, or all but those against -K symbols).
Status remove_attached_relocs(Object& o, const CopyOptions& opt) {
  PatternList reloc_patterns = reloc_removal_patterns(opt.remove_sections);
  PatternList keep = symbol_patterns(opt.keep_symbols, opt.wildcard);
  for (auto& s : o.sections) {
    if (!o.is_attached_reloc(*s) || s->removed) continue;
    const Section* target = s->info_section;
    if (target->removed || reloc_patterns.matches(target->name) || opt.remove_relocations.matches(target->name)) {
      s->removed = true;
    } else if (opt.strip == StripMode::kAll) {
      if (opt.keep_symbols.empty())
        s->removed = true;
      else
        EH_TRY(keep_relocs_of_kept_symbols(o, *s, keep));
    }
  }
  return ok_status();
}

// --rename-section OLD=NEW[,FLAGS]: exact names, the last option for OLD wins (binutils
// find_section_rename walks its newest-first list). Relocation sections take the new name, since
// binutils names them after their target (.rela + name).
// budget: what NOBITS sections gaining contents may still add, shared with apply_set_flags.
// --prefix-alloc-sections P then names every allocated section P + its (possibly new) name (binutils
// setup_section: after find_section_rename, on the input's SEC_ALLOC).
Status apply_renames(Object& o, const CopyOptions& opt, uint64_t& budget) {
  if (opt.rename_sections.empty() && opt.prefix_alloc_sections.empty()) return ok_status();
  for (auto& s : o.sections) {
    if (s->removed || o.kind(*s).regenerated) continue;
    const bool alloc = s->is_alloc();
    for (auto it = opt.rename_sections.rbegin(); it != opt.rename_sections.rend(); ++it) {
      if (it->from != s->name) continue;
      s->name = it->to;
      if (it->has_flags) {
        EH_TRY(set_flags(o, *s, it->flags, budget));
        // Unlike --set-section-flags, the renamed section's BFD flags are exactly the list given:
        // allocated without load/contents it loses its contents and becomes NOBITS (as GNU writes it).
        if (s->is_alloc() && !(it->flags & (kSecLoad | kSecContents)) && !s->is_nobits()) {
          s->hdr.size = s->data.size();
          s->data = {};
          s->owned.reset();
          s->hdr.type = SHT_NOBITS;
        }
      }
      break;
    }
    if (alloc && !opt.prefix_alloc_sections.empty()) s->name = opt.prefix_alloc_sections + s->name;
  }
  for (auto& r : o.sections) {
    if (r->removed || !o.is_attached_reloc(*r)) continue;
    // The name after ".rela"/".rel"; a hostile input's relocation section may have a shorter name
    // (found by fuzz_objcopy: substr threw std::out_of_range).
    const std::string_view name = r->name;
    const size_t prefix = r->hdr.type == SHT_RELA ? 5 : 4;
    const std::string_view target = name.size() >= prefix ? name.substr(prefix) : std::string_view();
    if (r->info_section->name != target) r->name = (r->hdr.type == SHT_RELA ? ".rela" : ".rel") + r->info_section->name;
  }
  return ok_status();
}

void apply_alignment(Object& o, const CopyOptions& opt) {
  if (opt.set_alignment.empty()) return;
  SectionValues<uint64_t> align(opt.set_alignment);
  for (auto& s : o.sections)
    if (!s->removed && !o.kind(*s).regenerated)
      if (const uint64_t* a = align.find(s->name)) s->hdr.addralign = *a;
}

// A NOBITS section that gains contents changes type, so the checks the reader made for NOBITS (none on
// sh_offset and sh_size) no longer cover it: its size is an allocation and output bytes. It is
// bounded by the output budget (elf/limits.h). In a file with program headers binutils then rewrites
// them (elf/segment_layout.h): the writer places it inside its PT_LOAD; its own sh_offset is never
// used.
Status give_contents(Object& o, Section& s, uint64_t& budget) {
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

// binutils setup_section (and copy_object for --add-section): the last --set-section-flags whose
// pattern matches the section's input name applies, unless a matching '!PATTERN' excludes it.
Status apply_set_flags(Object& o, const CopyOptions& opt, const std::vector<std::string>& input_names,
                       uint64_t& budget) {
  if (opt.set_flags.empty()) return ok_status();
  SectionValues<uint32_t> flags(opt.set_flags);
  for (size_t i = 0; i < o.sections.size(); ++i) {
    Section& s = *o.sections[i];
    if (s.removed || o.kind(s).regenerated) continue;
    const uint32_t* f = flags.find(i < input_names.size() ? input_names[i] : s.name);
    if (!f) continue;
    EH_TRY(set_flags(o, s, *f, budget));
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

// --add-gnu-debuglink FILE (binutils bfd_create_gnu_debuglink_section / bfd_fill_in_gnu_debuglink_section):
// FILE's base name, NUL-padded to a multiple of 4, then the CRC-32 of FILE's bytes in the target's
// byte order; SHT_PROGBITS, no flags, 4-byte aligned, after the --add-section sections.
Status apply_gnu_debuglink(Object& o, const CopyOptions& opt) {
  if (opt.gnu_debuglink.empty()) return ok_status();
  for (auto& c : o.sections)
    if (!c->removed && c->name == ".gnu_debuglink")
      return obj_error(o, c.get(), "--add-gnu-debuglink: the file already has a .gnu_debuglink section");
  EH_ASSIGN(auto file, read_regular_file(opt.gnu_debuglink));
  uLong crc = crc32(0L, Z_NULL, 0);
  for (size_t done = 0; done < file.size();) {
    uInt n = static_cast<uInt>(std::min<size_t>(file.size() - done, 1u << 30));
    crc = crc32(crc, file.data() + done, n);
    done += n;
  }
  auto slash = opt.gnu_debuglink.rfind('/');
  std::string base = slash == std::string::npos ? opt.gnu_debuglink : opt.gnu_debuglink.substr(slash + 1);
  std::vector<uint8_t> bytes(base.begin(), base.end());
  bytes.resize((base.size() + 1 + 3) & ~size_t{3}, 0);
  bytes.resize(bytes.size() + 4);
  store<uint32_t>(bytes.data() + bytes.size() - 4, o.input().endian(), static_cast<uint32_t>(crc));
  auto s = std::make_unique<Section>();
  s->name = ".gnu_debuglink";
  s->hdr.type = SHT_PROGBITS;
  s->hdr.addralign = 4;
  s->set_contents(std::move(bytes));
  o.sections.push_back(std::move(s));
  return ok_status();
}

// --redefine-sym OLD=NEW (binutils lookup_sym_redefinition): exact names, before the prefix is added
// and before any option matches a name. Section symbols have no name of their own in ELF.
void apply_redefine_symbols(Object& o, const CopyOptions& opt) {
  if (opt.redefine_symbols.empty()) return;
  std::unordered_map<std::string_view, std::string_view> to;
  for (const auto& [from, target] : opt.redefine_symbols) to.emplace(from, target);
  for (auto& y : o.symbols) {
    if (y.type() == STT_SECTION) continue;
    if (auto it = to.find(y.name); it != to.end()) y.name = it->second;
  }
}

// --prefix-symbols P: every symbol but the section symbols (which have no name of their own in ELF)
// becomes P + name: defined, undefined, file and mapping symbols alike (binutils filter_symbols,
// before any name is matched against -N/-K).
void apply_prefix_symbols(Object& o, const CopyOptions& opt) {
  if (opt.prefix_symbols.empty()) return;
  for (auto& y : o.symbols) {
    if (y.type() == STT_SECTION) continue;
    y.name = o.owned_names.emplace_back(opt.prefix_symbols + std::string(y.name));
  }
}

bool symbol_filtering_requested(const CopyOptions& opt) {
  return !opt.prefix_symbols.empty() || opt.strip != StripMode::kNone || opt.discard != DiscardLocals::kUndef || !opt.strip_symbols.empty() ||
         !opt.strip_unneeded_symbols.empty() || !opt.keep_symbols.empty() || !opt.remove_sections.empty() ||
         !opt.only_sections.empty() || !opt.rename_sections.empty() || opt.weaken || opt.localize_hidden ||
         !opt.weaken_symbols.empty() || !opt.localize_symbols.empty() || !opt.keep_global_symbols.empty() ||
         !opt.globalize_symbols.empty() || !opt.redefine_symbols.empty() || !opt.add_symbols.empty();
}

bool special_section_removed(const Sym& y, const CopyOptions& opt) {
  const char* name = y.special == SHN_ABS ? "*ABS*" : y.special == SHN_COMMON ? "*COM*" : y.special == SHN_UNDEF ? "*UND*" : nullptr;
  if (!name) return false;
  if (opt.strip == StripMode::kNonDwo) return true;  // is_strip_section_1: *ABS* is not a .dwo section
  if (opt.remove_sections.matches(name)) return true;
  return !opt.only_sections.empty() && !opt.only_sections.matches(name);
}

PatternList symbol_patterns(const std::vector<std::string>& names, bool wildcard) {
  PatternList p(wildcard);
  for (const auto& n : names) p.add(n);
  return p;
}

// _bfd_elf_is_local_label_name: the compiler's and assembler's local labels, which -X discards.
bool is_local_label(std::string_view n) {
  if (n.starts_with(".L") || n.starts_with("..") || n.starts_with("_.L_")) return true;
  if (n.size() < 2 || n[0] != 'L' || !std::isdigit(static_cast<unsigned char>(n[1]))) return false;
  bool ret = false;
  for (size_t i = 2; i < n.size(); ++i) {
    char c = n[i];
    if (c == 1 || c == 2) {
      if (c == 1 && i == 2) return true;  // an assembler fake symbol, L0^A...
      ret = true;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return ret;
}

// binutils filter_symbols for a symbol that no kept relocation uses. (A symbol a relocation uses is
// GNU's BSF_KEEP and always survives this test, except with --strip-all.)
bool keep_unused_symbol(const Object& o, const Sym& y, const CopyOptions& opt) {
  const StripMode strip = opt.strip;
  if (strip == StripMode::kAll) return false;
  // BFD flag equivalents: BSF_GLOBAL is a defined global; undefined and common symbols are neither
  // global nor local; STT_SECTION and STT_FILE symbols are BSF_DEBUGGING. An STB_GNU_UNIQUE symbol
  // is BSF_GNU_UNIQUE only (elfcode.h elf_slurp_symbol_table), so filter_symbols treats it as a
  // plain local: --strip-unneeded and -x drop it unless a relocation names it.
  const bool special = y.is_undefined() || y.is_common();
  const bool global = !special && y.bind() == STB_GLOBAL;
  const bool weak = y.bind() == STB_WEAK;
  const bool debugging = y.type() == STT_SECTION || y.type() == STT_FILE;
  if (o.is_relocatable() && (global || weak || y.is_common())) return true;
  // ARM/AArch64 mapping symbols of a relocatable file survive every strip mode elfhash has: the
  // backends' symbol_processing gives them BSF_KEEP there, not in executables and shared objects,
  // and not in the absolute section (docs/elf-engine.md, "Target rules").
  if (o.is_relocatable() && !(y.section == nullptr && y.special == SHN_ABS) && is_mapping_symbol(o.target(), y.name))
    return true;
  if (global || weak || special) return strip != StripMode::kUnneeded;
  if (debugging) return strip != StripMode::kDebug && strip != StripMode::kUnneeded;
  if (strip == StripMode::kUnneeded || opt.discard == DiscardLocals::kAll) return false;  // plain local
  return opt.discard != DiscardLocals::kCompilerLabels || !is_local_label(y.name);
}

// Everything filter_symbols needs to know about one symbol except whether a relocation uses it.
struct SymbolFacts {
  bool keep_if_unused = false;  // keep_unused_symbol()
  bool named = false;           // matches -N/--strip-symbol
  bool unneeded = false;        // matches --strip-unneeded-symbol
  bool kept = false;            // matches -K/--keep-symbol, or a file symbol with --keep-file-symbols
  bool home_removed = false;    // its section (or BFD's pseudo-section *ABS*/*COM*/*UND*) is removed
};

enum class Fate : uint8_t { kKeep, kDrop, kRefuse };

Fate symbol_fate(const SymbolFacts& f, bool used_in_reloc) {
  bool keep = used_in_reloc || f.keep_if_unused;  // used_in_reloc is never set with --strip-all
  if (keep && f.named) {
    if (used_in_reloc) return Fate::kRefuse;  // binutils: "not stripping symbol ... used in relocations"
    keep = false;
  }
  if (keep && !used_in_reloc && f.unneeded) keep = false;
  if (!keep && f.kept) keep = true;
  if (keep && f.home_removed) keep = false;
  return keep ? Fate::kKeep : Fate::kDrop;
}

// binutils mark_symbols_used_in_relocations: every relocation of a section that is kept marks its
// symbol (used[sym] = 1), even when the relocation section itself is being removed (-R '.rel*').
// Only the symbol index is needed, so only that field of each entry is read.
Status mark_symbols_used_in_relocs(const Object& o, std::vector<uint8_t>& used) {
  const ElfFile& in = o.input();
  const uint32_t nsyms = static_cast<uint32_t>(o.symbols.size());
  for (auto& s : o.sections) {
    if (!o.is_attached_reloc(*s) || s->info_section->removed || s->contents_changed) continue;
    EH_ASSIGN(const RelocCodec codec, entry_codec(o, *s));
    const size_t es = codec.entry_size();
    const uint8_t* p = s->data.data();
    const size_t n = s->data.size() / es;
    for (size_t i = 0; i < n; ++i, p += es) {
      uint32_t sym = codec.symbol(p);
      if (sym > nsyms)
        return make_error(in.path(), s->hdr.offset + i * es,
                          invalid_reloc_symbol(s->name, i, sym));
      used[sym] = 1;  // used[0] (no symbol) is ignored
    }
  }
  return ok_status();
}

// The binding options, applied to a symbol that is kept (the tail of binutils filter_symbols). Each
// test reads the symbol's BFD flags as they were on input: BSF_GLOBAL is a defined, non-common
// STB_GLOBAL; BSF_WEAK any STB_WEAK; BSF_GNU_UNIQUE STB_GNU_UNIQUE; BSF_LOCAL STB_LOCAL. The new
// binding is then written as elf.c swap_out_syms does: a file symbol stays local, a common one global.
struct BindingRules {
  PatternList weaken, localize, keep_global, globalize;
  bool weaken_all = false, localize_hidden = false;
  bool any() const {
    return weaken_all || localize_hidden || !weaken.empty() || !localize.empty() || !keep_global.empty() ||
           !globalize.empty();
  }
};

void apply_binding(Sym& y, const BindingRules& r) {
  // BFD names a section symbol after its section (the output name, find_section_rename).
  std::string_view name = y.type() == STT_SECTION && y.section ? std::string_view(y.section->name) : y.name;
  const uint8_t bind = y.bind();
  const bool undefined = y.is_undefined();
  const bool global = bind == STB_GLOBAL && !undefined && !y.is_common();
  const bool weak = bind == STB_WEAK, unique = bind == STB_GNU_UNIQUE, local = bind == STB_LOCAL;
  uint8_t out = bind;
  if ((global || unique || undefined) && (r.weaken_all || (!r.weaken.empty() && r.weaken.matches(name))))
    out = STB_WEAK;
  const uint8_t vis = y.other & 3;
  if (!undefined && (global || weak) &&
      ((!r.localize.empty() && r.localize.matches(name)) ||
       (!r.keep_global.empty() && !r.keep_global.matches(name)) ||
       (r.localize_hidden && (vis == STV_HIDDEN || vis == STV_INTERNAL))))
    out = STB_LOCAL;
  if (!undefined && local && !r.globalize.empty() && r.globalize.matches(name)) out = STB_GLOBAL;
  if (y.type() == STT_FILE || y.is_common()) return;
  y.info = static_cast<uint8_t>((out << 4) | y.type());
}

// binutils copy_object: in an executable or shared object without relocation sections (no
// HAS_RELOC), every section symbol is marked unused, and BFD's ignore_sym then leaves it out of the
// output, whatever the strip mode or -K says; on targets whose BFD keeps unused section symbols
// (every one but x86, TargetRules::keeps_unused_section_symbols) it instead gives every output
// section one (add_section_symbols).
bool drops_section_symbols(const Object& o) {
  return !o.is_relocatable() && !o.target().keeps_unused_section_symbols && !has_attached_relocs(o);
}

Status filter_symbols(Object& o, const CopyOptions& opt) {
  BindingRules binding{symbol_patterns(opt.weaken_symbols, opt.wildcard),
                       symbol_patterns(opt.localize_symbols, opt.wildcard),
                       symbol_patterns(opt.keep_global_symbols, opt.wildcard),
                       symbol_patterns(opt.globalize_symbols, opt.wildcard), opt.weaken, opt.localize_hidden};
  PatternList strip_named = symbol_patterns(opt.strip_symbols, opt.wildcard);
  PatternList strip_unneeded = symbol_patterns(opt.strip_unneeded_symbols, opt.wildcard);
  PatternList keep_named = symbol_patterns(opt.keep_symbols, opt.wildcard);
  const size_t n = o.symbols.size();
  std::vector<SymbolFacts> facts(n);
  std::vector<uint8_t> used(n + 1, 0);  // by input symbol index
  // Group signatures must survive like symbols used in relocations.
  for (auto& g : o.sections) {
    if (g->removed || g->hdr.type != SHT_GROUP) continue;
    if (g->hdr.info != 0 && g->hdr.info <= n) used[g->hdr.info] = 1;
  }
  bool relocs_matter = false;
  const bool drop_section_syms = drops_section_symbols(o);
  for (size_t i = 0; i < n; ++i) {
    const Sym& y = o.symbols[i];
    SymbolFacts& f = facts[i];
    f.keep_if_unused = keep_unused_symbol(o, y, opt);
    f.kept = (opt.keep_file_symbols && y.type() == STT_FILE) || (!keep_named.empty() && keep_named.matches(y.name));
    // binutils names a section symbol after its section, so -K .text keeps it through filter_symbols;
    // in an executable BFD then leaves it out when writing, but the .symtab it decided on stays,
    // empty. elfhash has no such half-kept symbol: refused rather than written differently.
    if (y.type() == STT_SECTION && y.section && !keep_named.empty() && !o.is_relocatable() &&
        opt.strip == StripMode::kAll && keep_named.matches(y.section->name))
      return make_error(o.input().path(), kNoOffset,
                        fmt::format("-K {} with --strip-all keeps a section symbol, which binutils then drops "
                                    "leaving an empty .symtab; elfhash does not support that",
                                    y.section->name));
    f.named = !strip_named.empty() && strip_named.matches(y.name);
    f.unneeded = !strip_unneeded.empty() && strip_unneeded.matches(y.name);
    f.home_removed = y.section ? y.section->removed : special_section_removed(y, opt);
    if (!used[i + 1] && symbol_fate(f, false) != symbol_fate(f, true)) relocs_matter = true;
  }
  // Reading the relocations is only worth it when some symbol's fate depends on them. For the kbuild
  // vmlinux command no symbol does, and this skips ~300 MB of .rela.* (whose sections are removed).
  // binutils does not mark them at all with --strip-all (which removes the relocations).
  if (opt.strip == StripMode::kAll) std::fill(used.begin(), used.end(), 0);
  else if (relocs_matter) EH_TRY(mark_symbols_used_in_relocs(o, used));
  for (size_t i = 0; i < n; ++i) {
    Sym& y = o.symbols[i];
    Fate fate = symbol_fate(facts[i], used[i + 1]);
    if (fate == Fate::kRefuse)
      return make_error(o.input().path(), kNoOffset,
                        // GNU's words (filter_symbols); GNU then writes the file with the symbol and
                        // exits 1, elfhash writes nothing.
                        fmt::format("not stripping symbol `{}' because it is named in a relocation "
                                    "(elfhash writes no output then)",
                                    y.name));
    y.removed = fate == Fate::kDrop || (drop_section_syms && y.type() == STT_SECTION);
    if (!y.removed && binding.any()) apply_binding(y, binding);
  }
  return ok_status();
}

// --add-symbol: the new symbol as elf.c swap_out_syms writes a BFD symbol made by create_new_symbol:
// binding by the first of local, unique, weak, global its flags hold (none: local), a file symbol
// local; type IFUNC, FUNC, OBJECT or NOTYPE (TLS in an SHF_TLS section); size and st_other 0; the
// value section-relative in a relocatable file, plus the section's address otherwise. SECTION is
// the first section of that (output) name; none is an error, as in GNU.
Status apply_add_symbols(Object& o, const CopyOptions& opt) {
  using A = CopyOptions::AddSymbol;
  if (opt.add_symbols.empty()) return ok_status();
  if (!o.symtab)
    return make_error(o.input().path(), kNoOffset, "--add-symbol on a file without a symbol table: elfhash does not create one");
  for (const A& a : opt.add_symbols) {
    Sym y;
    y.name = o.owned_names.emplace_back(a.name);
    y.value = a.value;
    if (a.section.empty()) {
      y.special = SHN_ABS;
    } else {
      auto it = std::find_if(o.sections.begin(), o.sections.end(),
                             [&](const auto& s) { return !s->removed && s->name == a.section; });
      if (it == o.sections.end()) return make_error(o.input().path(), kNoOffset, fmt::format("Section {} not found", a.section));
      y.section = it->get();
      if (!o.is_relocatable()) y.value += y.section->hdr.addr;
    }
    if (!o.input().is64()) y.value &= 0xffffffff;
    uint8_t type = a.flags & A::kIfunc ? STT_GNU_IFUNC : a.flags & A::kFunction ? STT_FUNC
                   : a.flags & A::kObject ? STT_OBJECT : STT_NOTYPE;
    uint8_t bind = a.flags & A::kLocal ? STB_LOCAL : a.flags & A::kUnique ? STB_GNU_UNIQUE
                   : a.flags & A::kWeak ? STB_WEAK : a.flags & A::kGlobal ? STB_GLOBAL : STB_LOCAL;
    if (a.flags & A::kFile) bind = STB_LOCAL, type = STT_FILE;
    y.info = static_cast<uint8_t>((bind << 4) | type);
    y.in_index = static_cast<uint32_t>(o.symbols.size() + 1);
    o.symbols.push_back(y);
  }
  return ok_status();
}

// -M (strip's default unless -g/--strip-dwo, resolved by the CLI; objcopy's default is not to
// merge): binutils copy_object merges each SHT_NOTE section named .gnu.build.attributes* that is
// kept and not empty (is_mergeable_note_section), except one with relocations, which it leaves as it
// is ("Cannot merge"). The rules are elf/build_notes.cc's.
Status merge_notes(Object& o, const CopyOptions& opt) {
  if (opt.merge_notes != CopyOptions::MergeNotes::kYes) return ok_status();
  auto has_relocs = [&](const Section* n) {
    for (const auto& r : o.sections)
      if (o.is_attached_reloc(*r) && r->info_section == n && r->hdr.size > 0) return true;
    return false;
  };
  for (auto& s : o.sections) {
    if (s->removed || s->hdr.type != SHT_NOTE || !starts_with(s->name, ".gnu.build.attributes") || s->data.empty() ||
        has_relocs(s.get()))
      continue;
    NotesMerge m = merge_build_notes(s->data, o.input().endian(), o.input().is64());
    if (!m.error.empty())
      return make_error(o.input().path(), s->hdr.offset + m.error_offset, fmt::format("{}: {}", s->name, m.error));
    if (!m.merged) continue;
    if (s->is_alloc() && !o.segments.empty())
      return obj_error(o, s.get(), fmt::format("merging the notes of {} shrinks an allocated section of a file with "
                                               "program headers: GNU objcopy rewrites the segments then, elfhash "
                                               "does not support that (--no-merge-notes keeps them)",
                                               s->name));
    s->set_contents(std::move(*m.merged));
  }
  return ok_status();
}

// binutils copy_object, on a target whose BFD keeps unused section symbols (every one but x86;
// TargetRules::keeps_unused_section_symbols): in an executable or shared object without relocation
// sections it marks every output section's symbol used, so bfd/elf.c elf_map_symbols gives each
// section that has no section symbol left a local STT_SECTION one, after the other local symbols,
// valued at the section's address. Only when a .symtab is written at all (some symbol is kept).
void add_section_symbols(Object& o) {
  if (o.is_relocatable() || !o.target().keeps_unused_section_symbols || o.symbols.empty()) return;
  std::vector<const Section*> named;
  bool any = false;
  for (const auto& y : o.symbols) {
    if (y.removed) continue;
    any = true;
    if (y.type() == STT_SECTION && y.section) named.push_back(y.section);
  }
  if (!any || has_attached_relocs(o)) return;  // HAS_RELOC: only the section symbols relocations use stay
  std::sort(named.begin(), named.end());
  for (auto& s : o.sections) {
    if (s->removed || o.kind(*s).regenerated || std::binary_search(named.begin(), named.end(), s.get())) continue;
    Sym y;
    y.value = s->hdr.addr;
    y.info = st_info(STB_LOCAL, STT_SECTION);
    y.section = s.get();
    y.in_index = static_cast<uint32_t>(o.symbols.size() + 1);
    o.symbols.push_back(y);
  }
}

void apply_stt_common(Object& o, const CopyOptions& opt) {
  if (opt.stt_common == CopyOptions::SttCommon::kKeep) return;
  const uint8_t type = opt.stt_common == CopyOptions::SttCommon::kYes ? STT_COMMON : STT_OBJECT;
  for (auto& y : o.symbols)
    if (!y.removed && y.is_common() && y.type() != STT_TLS) y.info = static_cast<uint8_t>((y.bind() << 4) | type);
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

namespace {

// --only-keep-debug (binutils STRIP_NONDEBUG, setup_section): allocated sections other than notes
// lose their contents and become NOBITS of the same size; groups, notes, debugging and other
// non-allocated sections stay as they are. In a file with program headers the sections' offsets and
// the segments are then recomputed as binutils does (elf/segment_layout.h, run by the writer).
Status apply_only_keep_debug(Object& o, const CopyOptions& opt) {
  if (opt.strip != StripMode::kNonDebug) return ok_status();
  o.relayout_segments = true;
  for (auto& s : o.sections) {
    if (s->removed || !s->is_alloc() || s->is_nobits() || s->hdr.type == SHT_NOTE || s->hdr.type == SHT_GROUP) continue;
    s->hdr.size = s->data.size();
    s->data = {};
    s->owned.reset();
    s->hdr.type = SHT_NOBITS;
    // bfd/elf.c copy_special_section_fields: a section made NOBITS keeps the input's sh_link and
    // sh_info numbers as they were, so a debugger can match it with the original's header; its flags
    // are rebuilt from BFD's section flags, which have no SHF_INFO_LINK.
    s->raw_links = true;
    s->hdr.flags &= ~SHF_INFO_LINK;
  }
  return ok_status();
}

}  // namespace

namespace {

// --compress-debug-sections[=zlib|zstd] (bfd/compress.c bfd_compress_section_contents, applied by
// _bfd_elf_make_section_from_shdr to the non-allocated sections BFD marks SEC_ELF_OCTETS by name):
// an ELF Chdr (type, 0, uncompressed size, the section's alignment) then zlib's compress() or
// ZSTD_compress at ZSTD_CLEVEL_DEFAULT; SHF_COMPRESSED and sh_addralign 8 (ELF32: 4). A section the
// stream would not make smaller stays as it is. The same Debian libz/libzstd give GNU's bytes.
bool compressible(const Section& s) {
  std::string_view n = s.name;
  return !s.is_alloc() && !s.is_nobits() && !s.data.empty() &&
         (n.starts_with(".debug") || n.starts_with(".gnu.debuglto_.debug_") || n.starts_with(".gnu.linkonce.wi.") ||
          n.starts_with(".zdebug"));
}

Status compress_debug_sections(Object& o, const CopyOptions& opt) {
  if (opt.compress == CopyOptions::Compress::kNone) return ok_status();
  const bool is64 = o.input().is64();
  const size_t chdr = is64 ? 24 : 12;
  for (auto& s : o.sections) {
    if (s->removed || !compressible(*s)) continue;
    if (s->hdr.flags & SHF_COMPRESSED)
      return obj_error(o, s.get(), fmt::format("--compress-debug-sections: {} is already compressed; elfhash does not "
                                               "recompress sections", s->name));
    const size_t n = s->data.size();
    size_t cap = opt.compress == CopyOptions::Compress::kZstd ? ZSTD_compressBound(n) : compressBound(n);
    std::vector<uint8_t> out(chdr + cap);
    size_t got = cap;
    if (opt.compress == CopyOptions::Compress::kZstd) {
      got = ZSTD_compress(out.data() + chdr, cap, s->data.data(), n, ZSTD_CLEVEL_DEFAULT);
      if (ZSTD_isError(got)) return obj_error(o, s.get(), fmt::format("zstd: {}", ZSTD_getErrorName(got)));
    } else {
      uLongf len = cap;
      if (compress(out.data() + chdr, &len, s->data.data(), n) != Z_OK)
        return obj_error(o, s.get(), fmt::format("zlib failed to compress {}", s->name));
      got = len;
    }
    if (chdr + got >= n) continue;  // not smaller: binutils keeps the section uncompressed
    out.resize(chdr + got);
    const Endian e = o.input().endian();
    const uint32_t type = opt.compress == CopyOptions::Compress::kZstd ? 2 : 1;  // ELFCOMPRESS_ZSTD / _ZLIB
    uint64_t align = s->hdr.addralign <= 1 ? 1 : std::bit_ceil(s->hdr.addralign);
    if (is64) {
      store<uint32_t>(out.data(), e, type);
      store<uint32_t>(out.data() + 4, e, 0);
      store<uint64_t>(out.data() + 8, e, n);
      store<uint64_t>(out.data() + 16, e, align);
    } else {
      store<uint32_t>(out.data(), e, type);
      store<uint32_t>(out.data() + 4, e, static_cast<uint32_t>(n));
      store<uint32_t>(out.data() + 8, e, static_cast<uint32_t>(align));
    }
    s->set_contents(std::move(out));
    s->hdr.flags |= SHF_COMPRESSED;
    s->hdr.addralign = is64 ? 8 : 4;
  }
  return ok_status();
}

// --decompress-debug-sections (bfd/compress.c decompress_contents): an SHF_COMPRESSED section with
// an ELFCOMPRESS_ZLIB or _ZSTD Chdr gets its uncompressed bytes back, the Chdr's alignment, and loses
// the flag.
Status decompress_debug_sections(Object& o, const CopyOptions& opt) {
  if (!opt.decompress) return ok_status();
  const bool is64 = o.input().is64();
  const Endian e = o.input().endian();
  const size_t chdr = is64 ? 24 : 12;
  for (auto& s : o.sections) {
    if (s->removed || !(s->hdr.flags & SHF_COMPRESSED) || s->is_nobits() || !compressible(*s)) continue;
    auto bad = [&](std::string why) { return obj_error(o, s.get(), fmt::format("cannot decompress {}: {}", s->name, why)); };
    if (s->data.size() < chdr) return bad("shorter than its compression header");
    const uint32_t type = load<uint32_t>(s->data.data(), e);
    const uint64_t size = is64 ? load<uint64_t>(s->data.data() + 8, e) : load<uint32_t>(s->data.data() + 4, e);
    const uint64_t align = is64 ? load<uint64_t>(s->data.data() + 16, e) : load<uint32_t>(s->data.data() + 8, e);
    // Bound the allocation by the input: neither codec expands more than ~1032x (deflate's limit).
    if (size > (uint64_t{s->data.size()} << 11) || size > (uint64_t{1} << 34)) return bad(fmt::format("claimed size {:#x}", size));
    std::vector<uint8_t> out(size);
    const uint8_t* in = s->data.data() + chdr;
    const size_t in_n = s->data.size() - chdr;
    if (type == 1) {
      uLongf len = size;
      if (uncompress(out.data(), &len, in, in_n) != Z_OK || len != size) return bad("corrupt zlib stream");
    } else if (type == 2) {
      size_t got = ZSTD_decompress(out.data(), size, in, in_n);
      if (ZSTD_isError(got) || got != size) return bad("corrupt zstd stream");
    } else {
      return bad(fmt::format("unknown compression type {}", type));
    }
    s->set_contents(std::move(out));
    s->hdr.flags &= ~uint64_t{SHF_COMPRESSED};
    s->hdr.addralign = align;
  }
  return ok_status();
}

// binutils setup_section: each section's address and load address, by the newest pattern of the
// options of that kind matching its input name (a matching '!PATTERN' leaves it unchanged), else
// moved by --change-addresses; the start address is --set-start's or the input's, plus
// --change-start.
void apply_address_changes(Object& o, const CopyOptions& opt, const std::vector<std::string>& input_names) {
  using AC = CopyOptions::AddressChange;
  if (opt.set_start) o.header.entry = *opt.set_start;
  o.header.entry += opt.change_start;
  if (opt.address_changes.empty() && opt.change_addresses == 0) return;
  PatternList vma_patterns, lma_patterns;
  std::vector<const AC*> vma_of, lma_of;
  for (const AC& a : opt.address_changes) {
    if (a.context & (AC::kAlterVma | AC::kSetVma)) vma_patterns.add(a.pattern), vma_of.push_back(&a);
    if (a.context & (AC::kAlterLma | AC::kSetLma)) lma_patterns.add(a.pattern), lma_of.push_back(&a);
  }
  for (size_t i = 0; i < o.sections.size(); ++i) {
    Section& s = *o.sections[i];
    if (s.removed || s.in_index == 0 || o.kind(s).regenerated) continue;
    const std::string& name = i < input_names.size() ? input_names[i] : s.name;
    uint64_t vma = s.hdr.addr, lma = o.load_address(s);
    const int v = vma_patterns.find_gnu(name), l = lma_patterns.find_gnu(name);
    if (v >= 0)
      vma = vma_of[v]->context & AC::kAlterVma ? vma + vma_of[v]->vma : vma_of[v]->vma;
    else
      vma += opt.change_addresses;
    if (l >= 0)
      lma = lma_of[l]->context & AC::kAlterLma ? lma + lma_of[l]->lma : lma_of[l]->lma;
    else
      lma += opt.change_addresses;
    if (vma == s.hdr.addr && lma == o.load_address(s)) continue;
    s.lma = lma;
    s.hdr.addr = vma;
    o.addresses_changed = true;
  }
}

}  // namespace

Status check_addresses_kept(const Object& o) {
  if (o.addresses_changed && !o.is_relocatable())
    return make_error(o.input().path(), kNoOffset,
                      "changing section addresses of an executable or shared object: binutils moves its segments "
                      "and symbols then, elfhash does not support that with ELF output (-O binary and -O srec "
                      "follow the new load addresses)");
  return ok_status();
}

// binutils copy_section --reverse-bytes: the contents of every section it copies (not the tables
// the writer rebuilds, not groups, whose contents BFD regenerates) reversed N bytes at a time; a
// section whose size is not a multiple of N is its fatal error.
Status reverse_section_bytes(Object& o, unsigned n) {
  for (auto& s : o.sections) {
    if (s->removed || s->in_index == 0 || s->is_nobits() || s->hdr.type == SHT_GROUP || o.kind(*s).regenerated ||
        s->contents_changed)
      continue;
    if (s->data.size() % n)
      return obj_error(o, s.get(), fmt::format("cannot reverse bytes: length of section {} must be evenly divisible by {}",
                                               s->name, n));
    std::vector<uint8_t> b(s->data.begin(), s->data.end());
    for (size_t i = 0; i < b.size(); i += n) std::reverse(b.begin() + i, b.begin() + i + n);
    s->set_contents(std::move(b));
  }
  return ok_status();
}

Status apply(Object& o, const CopyOptions& opt) {
  mark_removed_sections(o, opt);
  EH_TRY(merge_notes(o, opt));
  EH_TRY(apply_update_sections(o, opt));
  remove_empty_groups(o, opt);
  ungroup_members_of_removed_groups(o);
  EH_TRY(remove_attached_relocs(o, opt));
  std::vector<std::string> input_names;  // --set-section-flags matches the name before --rename-section
  for (auto& s : o.sections) input_names.push_back(s->name);
  apply_address_changes(o, opt, input_names);
  uint64_t budget = o.output_limit();  // for NOBITS sections that gain contents (docs/threat-model.md)
  EH_TRY(apply_renames(o, opt, budget));
  EH_TRY(apply_add_sections(o, opt));
  EH_TRY(apply_set_flags(o, opt, input_names, budget));
  apply_alignment(o, opt);
  EH_TRY(apply_only_keep_debug(o, opt));
  EH_TRY(decompress_debug_sections(o, opt));
  EH_TRY(compress_debug_sections(o, opt));
  EH_TRY(apply_gnu_debuglink(o, opt));
  apply_redefine_symbols(o, opt);
  apply_prefix_symbols(o, opt);
  if (symbol_filtering_requested(opt) || (!o.symbols.empty() && drops_section_symbols(o)))
    EH_TRY(filter_symbols(o, opt));
  EH_TRY(apply_add_symbols(o, opt));
  apply_stt_common(o, opt);
  add_section_symbols(o);
  if (opt.reverse_bytes) EH_TRY(reverse_section_bytes(o, opt.reverse_bytes));
  return ok_status();
}

}  // namespace elfhash::elf
