// elf/summary.h against the generated fixtures (testdata/README.md) and hand-made note/.modinfo bytes.
#include "elf/summary.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace elfhash::elf {
namespace {

std::string fixture(const std::string& name) { return "testdata/" + name; }

std::span<const uint8_t> span_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(Summary, ModuleFixture) {
  auto f = ElfFile::open(fixture("x86_64-module.o"));
  ASSERT_TRUE(f.ok()) << f.error().str();
  auto s = summarize(*f);
  ASSERT_TRUE(s.ok()) << s.error().str();
  EXPECT_EQ(s->header.machine, EM_X86_64);
  EXPECT_EQ(s->header.type, ET_REL);
  EXPECT_EQ(s->sections.size(), f->sections().size() - 1);
  EXPECT_EQ(s->segments, 0u);
  EXPECT_FALSE(s->build_id);  // make_fixtures.sh builds without a build-id
  // Counts from the tables themselves.
  uint64_t syms = f->symbols(*f->symtab_index())->size(), rels = 0;
  uint32_t rel_secs = 0;
  for (uint32_t i = 1; i < f->sections().size(); ++i)
    if (f->sections()[i].type == SHT_RELA) {
      rels += f->relocations(i)->size();
      ++rel_secs;
    }
  EXPECT_EQ(s->symbols, syms);
  EXPECT_EQ(s->relocations, rels);
  EXPECT_EQ(s->relocation_sections, rel_secs);
  EXPECT_GT(rel_secs, 0u);
  // .modinfo of src/module.cc.
  ASSERT_TRUE(s->has_modinfo);
  bool license = false;
  for (const auto& m : s->modinfo) license = license || (m.key == "license" && m.value == "GPL");
  EXPECT_TRUE(license);
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
