// The hardened reader against the generated fixtures (testdata/README.md), cross-checked with GNU
// readelf (run at test time) and LIEF: section tables, symbols, relocations, groups, segments, and
// extended section numbering with SHT_SYMTAB_SHNDX on the 70009-section object.
#include "elf/reader.h"

#include <LIEF/ELF.hpp>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "elf/bytes.h"

namespace elfhash::elf {
namespace {

const std::vector<std::string> kFixtures = {
    "x86_64-module.o", "x86_64-start.o", "cross-i386.o",    "cross-armv7a.o",  "cross-powerpc64.o",
    "cross-s390x.o",   "cross-mips.o",   "cross-powerpc.o", "many-sections.o", "vmlinux.unstripped",
    "cross-mips64el.o", "cross-aarch64.o",
};

std::string fixture(const std::string& name) { return "testdata/" + name; }

ElfFile open_ok(const std::string& name) {
  auto r = ElfFile::open(fixture(name));
  if (!r.ok()) {
    ADD_FAILURE() << r.error().str();
    std::abort();
  }
  return std::move(r).value();
}

// ---- GNU readelf output, parsed ----

std::vector<std::string> run_lines(const std::string& cmd) {
  std::vector<std::string> lines;
  FILE* p = popen(("LC_ALL=C " + cmd).c_str(), "r");
  if (!p) return lines;
  std::string cur;
  char buf[65536];
  while (size_t n = fread(buf, 1, sizeof buf, p)) {
    for (size_t i = 0; i < n; ++i) {
      if (buf[i] == '\n') {
        lines.push_back(cur);
        cur.clear();
      } else {
        cur += buf[i];
      }
    }
  }
  if (!cur.empty()) lines.push_back(cur);
  EXPECT_EQ(pclose(p), 0) << cmd;
  return lines;
}

std::vector<std::string> split(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string t; in >> t;) out.push_back(t);
  return out;
}

bool is_hex(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

uint64_t hex(const std::string& s) { return std::stoull(s, nullptr, 16); }

struct ReSection {
  std::string name, type;
  uint64_t offset = 0, size = 0, entsize = 0, link = 0, info = 0, align = 0;
};

uint32_t readelf_type(const std::string& t) {
  static const std::map<std::string, uint32_t> kTypes = {
      {"NULL", SHT_NULL},         {"PROGBITS", SHT_PROGBITS}, {"SYMTAB", SHT_SYMTAB},
      {"STRTAB", SHT_STRTAB},     {"RELA", SHT_RELA},         {"NOTE", SHT_NOTE},
      {"NOBITS", SHT_NOBITS},     {"REL", SHT_REL},           {"GROUP", SHT_GROUP},
      {"INIT_ARRAY", SHT_INIT_ARRAY}, {"FINI_ARRAY", SHT_FINI_ARRAY},
      {"SYMTAB SECTION INDICES", SHT_SYMTAB_SHNDX},
      {"ARM_EXIDX", 0x70000001},  {"ARM_ATTRIBUTES", 0x70000003}, {"MIPS_REGINFO", 0x70000006},
      {"MIPS_OPTIONS", 0x7000000d}, {"MIPS_DWARF", 0x7000001e}, {"MIPS_ABIFLAGS", 0x7000002a},
  };
  if (auto it = kTypes.find(t); it != kTypes.end()) return it->second;
  if (t.rfind("LOOS+0x", 0) == 0) return 0x60000000 + static_cast<uint32_t>(hex(t.substr(7)));
  if (t.rfind("LOPROC+0x", 0) == 0) return 0x70000000 + static_cast<uint32_t>(hex(t.substr(9)));
  ADD_FAILURE() << "unknown readelf section type '" << t << "'";
  return ~0u;
}

// `readelf -S -W`: "[Nr] Name Type Address Off Size ES Flg Lk Inf Al"; Type may be several words
// and Flg may be empty, so the row is read from the address column (8 or 16 hex digits) outwards.
std::vector<ReSection> readelf_sections(const std::string& path, bool is64) {
  std::vector<ReSection> out;
  for (const std::string& line : run_lines("readelf -S -W " + path)) {
    auto lb = line.find('['), rb = line.find(']');
    if (lb == std::string::npos || rb == std::string::npos || line.find("[Nr]") != std::string::npos) continue;
    auto tok = split(line.substr(rb + 1));
    if (tok.size() < 8) continue;
    size_t addr_len = is64 ? 16 : 8;
    // Section 0 has no name: its first token is the type "NULL".
    size_t first = (tok[0] == "NULL" && std::stoul(line.substr(lb + 1, rb - lb - 1)) == 0) ? 0 : 1;
    size_t a = first + 1;
    while (a < tok.size() && !(tok[a].size() == addr_len && is_hex(tok[a]))) ++a;
    ReSection s;
    s.name = first ? tok[0] : "";
    for (size_t i = first; i < a; ++i) s.type += (i > first ? " " : "") + tok[i];
    s.offset = hex(tok[a + 1]);
    s.size = hex(tok[a + 2]);
    s.entsize = hex(tok[a + 3]);
    size_t rest = tok.size() - (a + 4);  // [Flg] Lk Inf Al
    size_t lk = a + 4 + (rest == 4 ? 1 : 0);
    s.link = std::stoull(tok[lk]);
    s.info = std::stoull(tok[lk + 1]);
    s.align = std::stoull(tok[lk + 2]);
    out.push_back(s);
  }
  return out;
}

struct ReSymbol {
  std::string name, ndx, type;
  uint64_t value = 0;
};

// `readelf -s -W`, per symbol table name.
std::map<std::string, std::vector<ReSymbol>> readelf_symbols(const std::string& path) {
  std::map<std::string, std::vector<ReSymbol>> out;
  std::vector<ReSymbol>* cur = nullptr;
  for (const std::string& line : run_lines("readelf -s -W " + path)) {
    if (line.rfind("Symbol table '", 0) == 0) {
      cur = &out[line.substr(14, line.find('\'', 14) - 14)];
      continue;
    }
    auto tok = split(line);
    if (!cur || tok.size() < 7 || tok[0].back() != ':' || tok[0] == "Num:") continue;
    ReSymbol y;
    y.value = hex(tok[1]);
    y.type = tok[3];
    y.ndx = tok[6];
    y.name = tok.size() > 7 ? tok[7] : "";
    cur->push_back(y);
  }
  return out;
}

struct ReReloc {
  uint64_t offset = 0, info = 0;
};

// `readelf -r -W`, per relocation section name: offset and r_info of each entry.
std::map<std::string, std::vector<ReReloc>> readelf_relocs(const std::string& path) {
  std::map<std::string, std::vector<ReReloc>> out;
  std::vector<ReReloc>* cur = nullptr;
  for (const std::string& line : run_lines("readelf -r -W " + path)) {
    if (line.rfind("Relocation section '", 0) == 0) {
      cur = &out[line.substr(20, line.find('\'', 20) - 20)];
      continue;
    }
    auto tok = split(line);
    if (!cur || tok.size() < 3 || !is_hex(tok[0]) || !is_hex(tok[1])) continue;
    cur->push_back({hex(tok[0]), hex(tok[1])});
  }
  return out;
}

// ---- tests ----

class EachFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(EachFixture, ParsesAndDecodesEveryTable) {
  ElfFile f = open_ok(GetParam());
  auto s = f.check_tables();
  EXPECT_TRUE(s.ok()) << s.error().str();
}

TEST_P(EachFixture, SectionTableMatchesReadelf) {
  ElfFile f = open_ok(GetParam());
  auto re = readelf_sections(fixture(GetParam()), f.is64());
  ASSERT_EQ(f.sections().size(), re.size());
  ASSERT_EQ(f.header().shnum, re.size());
  for (uint32_t i = 0; i < re.size(); ++i) {
    const SectionHeader& s = f.sections()[i];
    SCOPED_TRACE("section " + std::to_string(i) + " " + re[i].name);
    EXPECT_EQ(f.section_name(i), re[i].name);
    EXPECT_EQ(s.type, readelf_type(re[i].type));
    EXPECT_EQ(s.offset, re[i].offset);
    EXPECT_EQ(s.size, re[i].size);
    EXPECT_EQ(s.entsize, re[i].entsize);
    EXPECT_EQ(s.link, re[i].link);
    EXPECT_EQ(s.info, re[i].info);
    EXPECT_EQ(s.addralign, re[i].align);
    if (i > 0 && s.type != SHT_NOBITS) {
      EXPECT_EQ(f.section_data(i).size(), s.size);
    }
  }
}

TEST_P(EachFixture, SymbolsMatchReadelf) {
  ElfFile f = open_ok(GetParam());
  auto re = readelf_symbols(fixture(GetParam()));
  ASSERT_TRUE(f.symtab_index().has_value());
  uint32_t st = *f.symtab_index();
  auto syms = f.symbols(st);
  ASSERT_TRUE(syms.ok()) << syms.error().str();
  auto names = f.symbol_names(st);
  ASSERT_TRUE(names.ok()) << names.error().str();
  const auto& want = re[std::string(f.section_name(st))];
  ASSERT_EQ(syms->size(), want.size());
  ASSERT_GT(want.size(), 1u);
  for (size_t i = 0; i < want.size(); ++i) {
    const Symbol& y = (*syms)[i];
    SCOPED_TRACE("symbol " + std::to_string(i) + " " + want[i].name);
    EXPECT_EQ(y.value, want[i].value);
    std::string ndx = y.xindex                ? std::to_string(y.shndx)
                      : y.shndx == SHN_UNDEF  ? "UND"
                      : y.shndx == SHN_ABS    ? "ABS"
                      : y.shndx == SHN_COMMON ? "COM"
                                              : std::to_string(y.shndx);
    EXPECT_EQ(ndx, want[i].ndx);
    // readelf names STT_SECTION symbols after their section; the table entry itself is empty.
    if (st_type(y.info) != STT_SECTION) {
      EXPECT_EQ((*names)[i], want[i].name);
      auto one = f.string_at(f.sections()[st].link, y.name);
      ASSERT_TRUE(one.ok());
      EXPECT_EQ(*one, (*names)[i]);
    }
  }
}

TEST_P(EachFixture, RelocationsMatchReadelf) {
  ElfFile f = open_ok(GetParam());
  auto re = readelf_relocs(fixture(GetParam()));
  size_t sections = 0;
  for (uint32_t i = 1; i < f.sections().size(); ++i) {
    uint32_t t = f.sections()[i].type;
    if (t != SHT_REL && t != SHT_RELA) continue;
    ++sections;
    std::string name(f.section_name(i));
    SCOPED_TRACE(name);
    auto rels = f.relocations(i);
    ASSERT_TRUE(rels.ok()) << rels.error().str();
    ASSERT_EQ(re.count(name), 1u);
    const auto& want = re[name];
    ASSERT_EQ(rels->size(), want.size());
    for (size_t k = 0; k < want.size(); ++k) {
      const Relocation& r = (*rels)[k];
      uint64_t info = f.is64() ? (uint64_t{r.sym} << 32 | r.type) : (uint64_t{r.sym} << 8 | r.type);
      EXPECT_EQ(r.offset, want[k].offset) << k;
      EXPECT_EQ(info, want[k].info) << k;
    }
  }
  EXPECT_EQ(sections, re.size());
  EXPECT_GT(sections, 0u);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, EachFixture, ::testing::ValuesIn(kFixtures),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

// LIEF 0.9 cannot read extended section numbering, so it checks every fixture but many-sections.o.
class LiefFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(LiefFixture, MatchesLief) {
  ElfFile f = open_ok(GetParam());
  std::unique_ptr<LIEF::ELF::Binary> b = LIEF::ELF::Parser::parse(fixture(GetParam()));
  ASSERT_TRUE(b);
  std::vector<const LIEF::ELF::Section*> ls;
  for (const LIEF::ELF::Section& s : b->sections()) ls.push_back(&s);
  ASSERT_EQ(ls.size(), f.sections().size());
  for (uint32_t i = 0; i < ls.size(); ++i) {
    SCOPED_TRACE(ls[i]->name());
    EXPECT_EQ(f.section_name(i), ls[i]->name());
    EXPECT_EQ(f.sections()[i].type, static_cast<uint32_t>(ls[i]->type()));
    EXPECT_EQ(f.sections()[i].offset, ls[i]->offset());
    EXPECT_EQ(f.sections()[i].size, ls[i]->size());
    EXPECT_EQ(f.sections()[i].flags, ls[i]->flags());
  }
  auto syms = f.symbols(*f.symtab_index());
  ASSERT_TRUE(syms.ok());
  auto names = f.symbol_names(*f.symtab_index());
  ASSERT_TRUE(names.ok());
  std::vector<std::string> lief_names;
  for (const LIEF::ELF::Symbol& s : b->static_symbols()) lief_names.push_back(s.name());
  ASSERT_EQ(lief_names.size(), syms->size());
  for (size_t i = 0; i < syms->size(); ++i)
    if (st_type((*syms)[i].info) != STT_SECTION) {
      EXPECT_EQ(lief_names[i], (*names)[i]) << i;
    }
  // Relocations are checked entry by entry against readelf above: LIEF 0.9 drops some of them.
  size_t segs = 0;
  for (const LIEF::ELF::Segment& s : b->segments()) {
    ASSERT_LT(segs, f.segments().size());
    EXPECT_EQ(f.segments()[segs].type, static_cast<uint32_t>(s.type()));
    EXPECT_EQ(f.segments()[segs].offset, s.file_offset());
    EXPECT_EQ(f.segments()[segs].filesz, s.physical_size());
    EXPECT_EQ(f.segments()[segs].vaddr, s.virtual_address());
    ++segs;
  }
  EXPECT_EQ(segs, f.segments().size());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, LiefFixture,
                         ::testing::Values("x86_64-module.o", "x86_64-start.o", "cross-i386.o", "cross-armv7a.o",
                                           "cross-powerpc64.o", "cross-s390x.o", "cross-mips.o",
                                           "cross-powerpc.o", "vmlinux.unstripped"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

struct Expect {
  const char* file;
  Class cls;
  Endian endian;
  uint16_t machine;
  uint32_t rel_type;  // SHT_REL or SHT_RELA: what the ABI uses
};

TEST(Reader, ClassEndianMachineAndRelocationFlavour) {
  const Expect kWant[] = {
      {"x86_64-module.o", Class::k64, Endian::kLittle, 62, SHT_RELA},
      {"cross-i386.o", Class::k32, Endian::kLittle, 3, SHT_REL},
      {"cross-armv7a.o", Class::k32, Endian::kLittle, 40, SHT_REL},
      {"cross-powerpc64.o", Class::k64, Endian::kBig, 21, SHT_RELA},
      {"cross-s390x.o", Class::k64, Endian::kBig, 22, SHT_RELA},
      {"cross-mips64el.o", Class::k64, Endian::kLittle, EM_MIPS, SHT_RELA},
      {"cross-aarch64.o", Class::k64, Endian::kLittle, EM_AARCH64, SHT_RELA},
      {"cross-mips.o", Class::k32, Endian::kBig, 8, SHT_REL},
      {"cross-powerpc.o", Class::k32, Endian::kBig, 20, SHT_RELA},
  };
  for (const Expect& w : kWant) {
    SCOPED_TRACE(w.file);
    ElfFile f = open_ok(w.file);
    EXPECT_EQ(f.cls(), w.cls);
    EXPECT_EQ(f.endian(), w.endian);
    EXPECT_EQ(f.header().machine, w.machine);
    EXPECT_EQ(f.header().type, ET_REL);
    auto text = f.find_section(w.rel_type == SHT_RELA ? ".rela.text.cross_entry" : ".rel.text.cross_entry");
    if (std::string(w.file) == "x86_64-module.o") text = f.find_section(".rela.text.foo_probe");
    ASSERT_TRUE(text.has_value());
    EXPECT_EQ(f.sections()[*text].type, w.rel_type);
    EXPECT_TRUE(f.find_section(".debug_info").has_value());
    // Every fixture's DWARF is relocated: a .rel[a].debug_info exists.
    EXPECT_TRUE(f.find_section(w.rel_type == SHT_RELA ? ".rela.debug_info" : ".rel.debug_info").has_value());
  }
}

TEST(Reader, ModuleHasComdatGroupsModinfoAndDeviceTable) {
  ElfFile f = open_ok("x86_64-module.o");
  // Groups against `readelf -g`: "COMDAT group section [    3] `.group' [sig] contains N sections:"
  // followed by "   [    4]   .text._Z..." member lines.
  std::vector<std::vector<uint32_t>> re_groups;
  for (const std::string& line : run_lines("readelf -g -W testdata/x86_64-module.o")) {
    if (line.rfind("COMDAT group section", 0) == 0) re_groups.emplace_back();
    else if (!re_groups.empty() && line.find("   [") == 0) {
      auto lb = line.find('['), rb = line.find(']');
      std::string idx = line.substr(lb + 1, rb - lb - 1);
      if (idx != "Index") re_groups.back().push_back(static_cast<uint32_t>(std::stoul(idx)));
    }
  }
  std::vector<std::vector<uint32_t>> groups;
  for (uint32_t i = 1; i < f.sections().size(); ++i) {
    if (f.sections()[i].type != SHT_GROUP) continue;
    auto g = f.group(i);
    ASSERT_TRUE(g.ok()) << g.error().str();
    EXPECT_EQ(g->flags, GRP_COMDAT);
    for (uint32_t m : g->members) EXPECT_TRUE(f.sections()[m].flags & SHF_GROUP) << m;
    groups.push_back(g->members);
  }
  EXPECT_GE(groups.size(), 4u);
  EXPECT_EQ(groups, re_groups);

  auto mi = f.find_section(".modinfo");
  ASSERT_TRUE(mi.has_value());
  auto data = f.section_data(*mi);
  std::string modinfo(reinterpret_cast<const char*>(data.data()), data.size());
  EXPECT_NE(modinfo.find("license=GPL"), std::string::npos);

  auto names = f.symbol_names(*f.symtab_index());
  auto syms = f.symbols(*f.symtab_index());
  ASSERT_TRUE(names.ok() && syms.ok());
  bool found = false;
  for (size_t i = 0; i < names->size(); ++i) {
    if ((*names)[i] != "__mod_device_table__pci__foo_ids") continue;
    found = true;
    const Symbol& y = (*syms)[i];
    EXPECT_EQ(st_bind(y.info), STB_GLOBAL);
    EXPECT_EQ(st_type(y.info), STT_OBJECT);
    EXPECT_EQ(y.size, 2u * 32u);  // two struct pci_device_id
    EXPECT_EQ(f.section_name(y.shndx), ".rodata.__mod_device_table__pci__foo_ids");
  }
  EXPECT_TRUE(found);
}

TEST(Reader, ExtendedNumberingResolvesSectionIndicesAbove65535) {
  ElfFile f = open_ok("many-sections.o");
  const auto& raw = f.bytes();
  // The escapes are really in the file header (gABI extended numbering).
  EXPECT_EQ(load<uint16_t>(raw.data() + 60, Endian::kLittle), 0);       // e_shnum
  EXPECT_EQ(load<uint16_t>(raw.data() + 62, Endian::kLittle), 0xffff);  // e_shstrndx = SHN_XINDEX
  EXPECT_EQ(f.header().shnum, 70009u);
  EXPECT_EQ(f.sections()[0].size, 70009u);
  EXPECT_EQ(f.header().shstrndx, f.sections()[0].link);
  EXPECT_EQ(f.section_name(f.header().shstrndx), ".shstrtab");

  uint32_t st = *f.symtab_index();
  auto shndx = f.shndx_index_for(st);
  ASSERT_TRUE(shndx.has_value());
  EXPECT_EQ(f.sections()[*shndx].type, SHT_SYMTAB_SHNDX);

  // Section 70000 holds .s.N; symbol sym_N must resolve to 70000 through SHT_SYMTAB_SHNDX.
  std::string sec(f.section_name(70000));
  ASSERT_EQ(sec.rfind(".s.", 0), 0u) << sec;
  std::string sym = "sym_" + sec.substr(3);
  auto syms = f.symbols(st);
  auto names = f.symbol_names(st);
  ASSERT_TRUE(syms.ok() && names.ok());
  size_t hits = 0, above = 0;
  for (size_t i = 0; i < syms->size(); ++i) {
    const Symbol& y = (*syms)[i];
    if (y.shndx >= SHN_LORESERVE && y.shndx < f.sections().size()) ++above;
    if ((*names)[i].rfind("sym_", 0) == 0) {  // every sym_K lives in section .s.K
      ASSERT_EQ(f.section_name(y.shndx), ".s." + std::string((*names)[i].substr(4))) << i;
    }
    if ((*names)[i] != sym) continue;
    ++hits;
    EXPECT_EQ(y.shndx, 70000u);
    // The raw st_shndx is the escape and the real index is in the SHT_SYMTAB_SHNDX entry.
    uint64_t at = f.sections()[st].offset + i * f.sym_size();
    EXPECT_EQ(load<uint16_t>(raw.data() + at + 6, Endian::kLittle), SHN_XINDEX);
    EXPECT_EQ(load<uint32_t>(f.section_data(*shndx).data() + 4 * i, Endian::kLittle), 70000u);
  }
  EXPECT_EQ(hits, 1u);
  EXPECT_GT(above, 4000u);  // sections 65280..70008

  // Relocations against sym_69996 / sym_70000 (symbol indices above 65535) decode to those symbols.
  auto rela = f.find_section(".rela.text");
  ASSERT_TRUE(rela.has_value());
  EXPECT_EQ(f.sections()[*rela].link, st);
  auto rels = f.relocations(*rela);
  ASSERT_TRUE(rels.ok());
  ASSERT_EQ(rels->size(), 3u);
  EXPECT_EQ((*names)[(*rels)[0].sym], "sym_1");
  EXPECT_EQ((*names)[(*rels)[1].sym], "sym_69996");
  EXPECT_EQ((*names)[(*rels)[2].sym], "sym_70000");
  EXPECT_GT((*rels)[2].sym, 65535u);
}

TEST(Reader, VmlinuxSegmentsAndModuleHashes) {
  ElfFile f = open_ok("vmlinux.unstripped");
  EXPECT_EQ(f.header().type, ET_EXEC);
  // Segments against `readelf -l -W`.
  std::vector<std::vector<std::string>> re;
  for (const std::string& line : run_lines("readelf -l -W testdata/vmlinux.unstripped")) {
    auto tok = split(line);
    if (!tok.empty() && tok[0] == "LOAD") re.push_back(tok);
  }
  ASSERT_EQ(re.size(), 3u);
  ASSERT_EQ(f.segments().size(), re.size());
  for (size_t i = 0; i < re.size(); ++i) {
    EXPECT_EQ(f.segments()[i].type, PT_LOAD);
    EXPECT_EQ(f.segments()[i].offset, hex(re[i][1].substr(2)));
    EXPECT_EQ(f.segments()[i].vaddr, hex(re[i][2].substr(2)));
    EXPECT_EQ(f.segments()[i].filesz, hex(re[i][4].substr(2)));
    EXPECT_EQ(f.segments()[i].memsz, hex(re[i][5].substr(2)));
  }
  // spec §4.1/§4.2: 36 zero bytes, alloc and read-only, inside a PT_LOAD.
  auto mh = f.find_section(".module_hashes");
  ASSERT_TRUE(mh.has_value());
  const SectionHeader& s = f.sections()[*mh];
  EXPECT_EQ(s.size, 36u);
  EXPECT_EQ(s.type, SHT_PROGBITS);
  EXPECT_TRUE(s.flags & SHF_ALLOC);
  EXPECT_FALSE(s.flags & SHF_WRITE);
  for (uint8_t b : f.section_data(*mh)) EXPECT_EQ(b, 0);
  bool inside = false;
  for (const ProgramHeader& p : f.segments())
    if (p.type == PT_LOAD && s.offset >= p.offset && s.offset + s.size <= p.offset + p.filesz &&
        s.addr - p.vaddr == s.offset - p.offset)
      inside = true;
  EXPECT_TRUE(inside);
  EXPECT_TRUE(f.find_section(".modinfo").has_value());
  EXPECT_TRUE(f.find_section(".rela.text").has_value());  // --emit-relocs
}

TEST(Reader, InMemoryParseEqualsMappedParse) {
  ElfFile a = open_ok("cross-powerpc.o");
  std::vector<uint8_t> copy(a.bytes().begin(), a.bytes().end());
  auto b = ElfFile::parse(MappedFile::from_memory(copy, "mem"));
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(a.sections().size(), b->sections().size());
  for (uint32_t i = 0; i < a.sections().size(); ++i) EXPECT_EQ(a.section_name(i), b->section_name(i));
}

}  // namespace
}  // namespace elfhash::elf

namespace elfhash::elf {
namespace {

// The MIPS64 r_info is a 32-bit r_sym in the file's byte order followed by the bytes r_ssym, r_type3,
// r_type2, r_type: one relocation encoded for mips64 and mips64el decodes to the same value, and
// rewriting the symbol keeps the type bytes (the mips64el modules were refused when r_info was read
// as one 64-bit word).
TEST(RelocCodec, Mips64LayoutInBothByteOrders) {
  const uint8_t be[24] = {0, 0, 0, 0, 0, 0, 0x10, 0x20, 0, 0, 0, 0x12, 0x00, 0x05, 0x18, 0x07,
                          0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfc};
  const uint8_t le[24] = {0x20, 0x10, 0, 0, 0, 0, 0, 0, 0x12, 0, 0, 0, 0x00, 0x05, 0x18, 0x07,
                          0xfc, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  for (Endian e : {Endian::kBig, Endian::kLittle}) {
    RelocCodec c(Class::k64, e, EM_MIPS, true);
    const uint8_t* p = e == Endian::kBig ? be : le;
    Relocation r = c.decode(p);
    EXPECT_EQ(r.offset, 0x1020u);
    EXPECT_EQ(r.sym, 0x12u);
    EXPECT_EQ(r.type, 0x00051807u);  // r_type3 R_MIPS_HI16, r_type2 R_MIPS_SUB, r_type R_MIPS_GPREL16
    EXPECT_EQ(r.addend, -4);
    uint8_t out[24];
    c.encode(r, out);
    EXPECT_EQ(0, std::memcmp(out, p, 24));
    c.set_symbol(out, 0x345678);
    EXPECT_EQ(c.symbol(out), 0x345678u);
    EXPECT_EQ(c.type(out), 0x00051807u);
  }
  // The same bytes read as an ordinary ELF64 (x86-64) entry: the symbol is the high word.
  RelocCodec x(Class::k64, Endian::kLittle, EM_X86_64, true);
  EXPECT_EQ(x.symbol(le), 0x07180500u);
}

TEST(RelocCodec, Elf32KeepsTheTypeByte) {
  RelocCodec c(Class::k32, Endian::kBig, EM_MIPS, false);
  uint8_t p[8] = {0, 0, 0, 8, 0, 0, 0x05, 0x02};
  EXPECT_EQ(c.symbol(p), 5u);
  EXPECT_EQ(c.type(p), 2u);
  c.set_symbol(p, 0xabcdef);
  EXPECT_EQ(c.symbol(p), 0xabcdefu);
  EXPECT_EQ(c.type(p), 2u);
  EXPECT_EQ(c.entry_size(), 8u);
}

}  // namespace
}  // namespace elfhash::elf
