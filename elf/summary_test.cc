// elf/summary.h against the generated fixtures (testdata/README.md) and hand-made note/.modinfo bytes.
#include "elf/summary.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>
#include <string>

namespace elfhash::elf {
namespace {

std::string fixture(const std::string& name) { return "testdata/" + name; }

std::span<const uint8_t> span_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// GNU readelf's view of a file, the independent oracle for the summary's counts (the summary itself
// is built from elf/reader calls, so comparing it with those calls would test nothing).
struct Readelf {
  uint64_t section_headers = 0, symbols = 0, relocations = 0;
  uint32_t relocation_sections = 0;
  std::vector<std::string> modinfo;  // `readelf -p .modinfo` strings, in order
};

std::vector<std::string> lines_of(const std::string& cmd) {
  std::vector<std::string> out;
  FILE* p = popen(("LC_ALL=C " + cmd + " 2>/dev/null").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  while (fgets(buf, sizeof buf, p)) {
    std::string l(buf);
    if (!l.empty() && l.back() == '\n') l.pop_back();
    out.push_back(l);
  }
  pclose(p);
  return out;
}

Readelf readelf(const std::string& path) {
  Readelf r;
  unsigned long long n = 0;
  for (const auto& l : lines_of("readelf -h -W " + path))
    if (std::sscanf(l.c_str(), "  Number of section headers: %llu", &n) == 1) r.section_headers = n;
  for (const auto& l : lines_of("readelf -s -W " + path))
    if (l.rfind("Symbol table '.symtab' contains ", 0) == 0) r.symbols = std::stoull(l.substr(32));
  for (const auto& l : lines_of("readelf -r -W " + path)) {
    auto at = l.find(" contains ");
    if (l.rfind("Relocation section '", 0) == 0 && at != std::string::npos) {
      r.relocations += std::stoull(l.substr(at + 10));
      ++r.relocation_sections;
    }
  }
  for (const auto& l : lines_of("readelf -p .modinfo " + path)) {
    auto close = l.find("]  ");
    if (l.rfind("  [", 0) == 0 && close != std::string::npos) r.modinfo.push_back(l.substr(close + 3));
  }
  return r;
}

TEST(Summary, ModuleFixtureAgreesWithReadelf) {
  const std::string path = fixture("x86_64-module.o");
  auto f = ElfFile::open(path);
  ASSERT_TRUE(f.ok()) << f.error().str();
  auto s = summarize(*f);
  ASSERT_TRUE(s.ok()) << s.error().str();
  EXPECT_EQ(s->header.machine, EM_X86_64);
  EXPECT_EQ(s->header.type, ET_REL);
  EXPECT_EQ(s->segments, 0u);
  EXPECT_FALSE(s->build_id);  // make_fixtures.sh builds without a build-id
  Readelf re = readelf(path);
  ASSERT_EQ(re.section_headers, 50u);  // the fixture's source (testdata/README.md); readelf ran
  EXPECT_EQ(s->sections.size(), re.section_headers - 1);
  EXPECT_EQ(s->symbols, re.symbols);
  EXPECT_EQ(s->relocations, re.relocations);
  EXPECT_EQ(s->relocation_sections, re.relocation_sections);
  EXPECT_GT(re.relocation_sections, 0u);
  // .modinfo of src/module.cc, string by string as readelf prints it.
  ASSERT_TRUE(s->has_modinfo);
  std::vector<std::string> got;
  for (const auto& m : s->modinfo) got.push_back(m.key + "=" + m.value);
  EXPECT_EQ(got, re.modinfo);
  EXPECT_NE(std::find(got.begin(), got.end(), "license=GPL"), got.end());
}

TEST(Summary, BigEndianCrossFixture) {
  auto f = ElfFile::open(fixture("cross-mips.o"));
  ASSERT_TRUE(f.ok()) << f.error().str();
  auto s = summarize(*f);
  ASSERT_TRUE(s.ok()) << s.error().str();
  EXPECT_EQ(s->header.ident[5], 2);  // ELFDATA2MSB
  EXPECT_EQ(s->header.machine, 8);   // EM_MIPS
  EXPECT_TRUE(s->has_modinfo);
  EXPECT_GT(s->relocations, 0u);
}

TEST(Modinfo, SplitsStringsSkipsPaddingAndKeepsOrder) {
  using namespace std::string_literals;
  std::string d = "license=GPL\0\0\0alias=a\0noequals\0alias=b=c\0tail-unterminated=x"s;
  auto m = parse_modinfo(span_of(d));
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0].key, "license");
  EXPECT_EQ(m[0].value, "GPL");
  EXPECT_EQ(m[1].value, "a");
  EXPECT_EQ(m[2].key, "noequals");
  EXPECT_EQ(m[2].value, "");
  EXPECT_EQ(m[3].key, "alias");
  EXPECT_EQ(m[3].value, "b=c");
  EXPECT_EQ(m[4].key, "tail-unterminated");
  EXPECT_TRUE(parse_modinfo({}).empty());
}

std::string note(uint32_t type, const std::string& name, const std::string& desc) {
  auto pad = [](std::string s) {
    while (s.size() % 4) s += '\0';
    return s;
  };
  std::string out(12, '\0');
  uint32_t w[3] = {static_cast<uint32_t>(name.size()), static_cast<uint32_t>(desc.size()), type};
  std::memcpy(out.data(), w, 12);  // host order: the tests pass Endian::kLittle on x86
  return out + pad(name) + pad(desc);
}

TEST(BuildId, FindsGnuNoteAfterOthers) {
  std::string notes = note(1, std::string("Linux\0", 6), "xyz") + note(3, std::string("GNU\0", 4), "\x01\x02\x03\x04\x05");
  auto r = find_build_id(span_of(notes), Endian::kLittle, "n", 0);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(*r);
  EXPECT_EQ(**r, (std::vector<uint8_t>{1, 2, 3, 4, 5}));
}

TEST(BuildId, NoneAndMalformed) {
  std::string other = note(1, std::string("GNU\0", 4), "abcd");
  auto r = find_build_id(span_of(other), Endian::kLittle, "n", 0);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  std::string bad = note(3, std::string("GNU\0", 4), "abcd");
  bad[4] = '\x40';  // descsz 0x40 runs past the section
  auto e = find_build_id(span_of(bad), Endian::kLittle, "n", 0x100);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().offset, 0x100u);
  EXPECT_NE(e.error().message.find("runs past the end"), std::string::npos);
}

}  // namespace
}  // namespace elfhash::elf
