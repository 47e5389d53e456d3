// compare_elf() against objects generated at test time: a small C file built with clang-14 and GNU as,
// then transformed with GNU objcopy/strip, llvm-objcopy and byte patches. Each mutation must show up
// in the right category; layout-only rewrites must not show up at all.
#include "elf/compare.h"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "elf/bytes.h"

namespace elfhash::elf {
namespace {

constexpr const char* kCSource = R"(int counter = 5;
static int table[4] __attribute__((used)) = {1, 2, 3, 4};
static int helper(int x) { return x * 3 + counter; }
int foo(int x) { return helper(x) + counter; }
int bar(int y) { return foo(y) + 1; }
const char *msg(void) { return "hello"; }
)";

// Templates and inline statics at -O0 give COMDAT groups (SHT_GROUP).
constexpr const char* kCxxSource = R"(template <class T> T twice(T x) { return x + x; }
inline int shared_value() { static int v = 3; return v++; }
int use(int a) { return twice(a) + shared_value(); }
long use2(long a) { return twice(a); }
)";

std::string tmpdir() {
  const char* t = std::getenv("TEST_TMPDIR");
  return t ? t : "/tmp";
}

std::string path(const std::string& name) { return tmpdir() + "/" + name; }

void write_text(const std::string& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

std::vector<uint8_t> read_bytes(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& p, const std::vector<uint8_t>& b) {
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), b.size());
}

int run(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

// clang-14 compiles, GNU as assembles: the integrated assembler would merge .shstrtab into .strtab,
// which GNU objcopy then splits again (a real structural difference, not a layout one).
constexpr const char* kCompile =
    "clang-14 --target=x86_64-linux-gnu -c -ffunction-sections -fno-asynchronous-unwind-tables "
    "-fno-integrated-as -fno-addrsig";

class CompareTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    write_text(path("foo.c"), kCSource);
    write_text(path("grp.cc"), kCxxSource);
    const std::string d = tmpdir();
    const std::vector<std::string> cmds = {
        fmt::format("{} -O1 -g {}/foo.c -o {}/base.o", kCompile, d, d),
        fmt::format("{} -O0 -x c++ {}/grp.cc -o {}/grp.o", kCompile, d, d),
        fmt::format("strip --strip-debug {0}/base.o -o {0}/sd.o", d),
        fmt::format("strip --strip-debug {0}/base.o -o {0}/sd2.o", d),
        fmt::format("objcopy {0}/base.o {0}/gnu.o", d),
        fmt::format("llvm-objcopy-14 {0}/base.o {0}/llvm.o", d),
        fmt::format("objcopy {0}/grp.o {0}/grp-gnu.o", d),
        fmt::format("llvm-objcopy-14 {0}/grp.o {0}/grp-llvm.o", d),
        fmt::format("objcopy --remove-section .text.msg --remove-section .rela.text.msg {0}/sd.o {0}/rm.o", d),
        fmt::format("objcopy --set-section-flags .text.foo=alloc,readonly {0}/sd.o {0}/flags.o", d),
        fmt::format("objcopy --strip-symbol table {0}/sd.o {0}/nosym.o", d),
        fmt::format("objcopy --weaken-symbol foo {0}/sd.o {0}/weak.o", d),
        fmt::format("ld -e foo -o {0}/exe {0}/sd.o", d),
    };
    for (const auto& c : cmds) {
      if (run(c) != 0) {
        setup_error_ = "fixture command failed: " + c;
        return;
      }
    }
  }

  void SetUp() override {
    if (!setup_error_.empty()) GTEST_FAIL() << setup_error_;
  }

  static ElfFile open(const std::string& name) {
    auto f = ElfFile::open(path(name));
    EXPECT_TRUE(f.ok()) << f.error().str();
    return std::move(f).value();
  }

  static CompareOptions unlimited() {
    CompareOptions o;
    o.max_differences = 0;
    return o;
  }

  static Comparison compare(const std::string& a, const std::string& b, const CompareOptions& opts = unlimited()) {
    auto c = compare_elf(open(a), open(b), opts);
    EXPECT_TRUE(c.ok()) << c.error().str();
    return c.ok() ? std::move(c).value() : Comparison{};
  }

  // Copies `from` to `to`, letting `patch` edit the bytes (given the parsed original).
  template <class F>
  static void patched(const std::string& from, const std::string& to, F patch) {
    ElfFile f = open(from);
    std::vector<uint8_t> b = read_bytes(path(from));
    patch(f, b);
    write_bytes(path(to), b);
  }

  static uint64_t section_offset(const ElfFile& f, const char* name) {
    auto i = f.find_section(name);
    EXPECT_TRUE(i.has_value()) << name;
    return i ? f.sections()[*i].offset : 0;
  }

  static uint64_t shdr_offset(const ElfFile& f, const char* name) {
    return f.shdr_offset(*f.find_section(name));
  }

  static std::string dump(const Comparison& c) {
    std::string s;
    for (const auto& d : c.differences)
      s += fmt::format("  {} {}: {} {} -> {}\n", category_name(d.category), d.key, d.field, d.a, d.b);
    return s;
  }

  static const Difference* find(const Comparison& c, DiffCategory cat, std::string_view key, std::string_view field) {
    for (const auto& d : c.differences)
      if (d.category == cat && d.key == key && d.field == field) return &d;
    return nullptr;
  }

  static size_t count(const Comparison& c, DiffCategory cat) {
    size_t n = 0;
    for (const auto& d : c.differences) n += d.category == cat;
    return n;
  }

  static inline std::string setup_error_;
};

std::vector<uint8_t> merkle_trailer(uint8_t id_type, uint8_t fill) {
  std::vector<uint8_t> t(36, fill);  // payload: pos + one hash
  uint8_t sig[12] = {};
  sig[2] = id_type;
  store_be32(sig + 8, 36);
  t.insert(t.end(), sig, sig + 12);
  std::string_view marker = "~Module signature appended~\n";
  t.insert(t.end(), marker.begin(), marker.end());
  return t;
}

TEST_F(CompareTest, SameFileIsEquivalentAndByteIdentical) {
  Comparison c = compare("base.o", "base.o");
  EXPECT_TRUE(c.equivalent()) << dump(c);
  EXPECT_TRUE(c.byte_identical);
}

TEST_F(CompareTest, StripDebugIsReproducibleButDiffersFromOriginal) {
  Comparison same = compare("sd.o", "sd2.o");
  EXPECT_TRUE(same.equivalent()) << dump(same);

  Comparison c = compare("base.o", "sd.o");
  EXPECT_FALSE(c.equivalent());
  EXPECT_FALSE(c.byte_identical);
  const Difference* d = find(c, DiffCategory::kSection, ".debug_info", "presence");
  ASSERT_NE(d, nullptr) << dump(c);
  EXPECT_EQ(d->a, "present");
  EXPECT_EQ(d->b, "(absent)");
  EXPECT_NE(find(c, DiffCategory::kSection, ".rela.debug_info", "presence"), nullptr) << dump(c);
  EXPECT_NE(find(c, DiffCategory::kHeader, "ELF header", "e_shnum"), nullptr) << dump(c);
  // Code and its relocations are untouched by --strip-debug.
  EXPECT_EQ(count(c, DiffCategory::kRelocation), 0u) << dump(c);
  EXPECT_EQ(find(c, DiffCategory::kSection, ".text.foo", "contents"), nullptr) << dump(c);
}

// GNU objcopy and llvm-objcopy lay a copy out differently (different string table order, hence
// different sh_name/st_name offsets and section offsets); nothing semantic differs.
TEST_F(CompareTest, ObjcopyVersusLlvmObjcopyIsLayoutOnly) {
  EXPECT_NE(read_bytes(path("gnu.o")), read_bytes(path("llvm.o"))) << "fixture no longer exercises layout";
  Comparison c = compare("gnu.o", "llvm.o");
  EXPECT_TRUE(c.equivalent()) << dump(c);
  EXPECT_FALSE(c.byte_identical);
  // The copies are also equivalent to the assembler's output.
  Comparison o = compare("base.o", "llvm.o");
  EXPECT_TRUE(o.equivalent()) << dump(o);
}

TEST_F(CompareTest, GroupsCompareByMemberName) {
  ElfFile g = open("grp.o");
  bool has_group = false;
  for (const auto& s : g.sections()) has_group = has_group || s.type == SHT_GROUP;
  ASSERT_TRUE(has_group) << "fixture has no SHT_GROUP";
  EXPECT_NE(read_bytes(path("grp-gnu.o")), read_bytes(path("grp-llvm.o")));
  Comparison c = compare("grp-gnu.o", "grp-llvm.o");
  EXPECT_TRUE(c.equivalent()) << dump(c);

  // Clear GRP_COMDAT in the first group.
  patched("grp.o", "grp-nocomdat.o", [](const ElfFile& f, std::vector<uint8_t>& b) {
    uint64_t off = section_offset(f, ".group");
    store<uint32_t>(b.data() + off, f.endian(), 0);
  });
  Comparison p = compare("grp.o", "grp-nocomdat.o");
  const Difference* d = find(p, DiffCategory::kSection, ".group", "group flags");
  ASSERT_NE(d, nullptr) << dump(p);
  EXPECT_EQ(d->a, "0x1");
  EXPECT_EQ(d->b, "0x0");
  EXPECT_EQ(p.differences.size(), 1u) << dump(p);
}

TEST_F(CompareTest, RemovedSection) {
  Comparison c = compare("sd.o", "rm.o");
  const Difference* d = find(c, DiffCategory::kSection, ".text.msg", "presence");
  ASSERT_NE(d, nullptr) << dump(c);
  EXPECT_EQ(d->b, "(absent)");
  EXPECT_NE(find(c, DiffCategory::kSection, ".rela.text.msg", "presence"), nullptr) << dump(c);
  EXPECT_NE(find(c, DiffCategory::kSymbol, "msg [6]", "presence"), nullptr) << dump(c);
}

TEST_F(CompareTest, SectionFlags) {
  Comparison c = compare("sd.o", "flags.o");
  ASSERT_EQ(c.differences.size(), 1u) << dump(c);
  const Difference& d = c.differences[0];
  EXPECT_EQ(d.category, DiffCategory::kSection);
  EXPECT_EQ(d.key, ".text.foo");
  EXPECT_EQ(d.field, "sh_flags");
  EXPECT_EQ(d.a, "0x6 (AX)");
  EXPECT_EQ(d.b, "0x2 (A)");
}

// Stripping a local symbol renumbers every later symbol; relocations still name the same symbols and
// must not be reported.
TEST_F(CompareTest, StrippedSymbolWithRenumbering) {
  Comparison c = compare("sd.o", "nosym.o");
  const Difference* d = find(c, DiffCategory::kSymbol, "table [1]", "presence");
  ASSERT_NE(d, nullptr) << dump(c);
  EXPECT_EQ(count(c, DiffCategory::kSymbol), 1u) << dump(c);
  EXPECT_EQ(count(c, DiffCategory::kRelocation), 0u) << dump(c);
  EXPECT_NE(find(c, DiffCategory::kSection, ".symtab", "sh_info"), nullptr) << dump(c);
}

TEST_F(CompareTest, SymbolBinding) {
  Comparison c = compare("sd.o", "weak.o");
  ASSERT_EQ(c.differences.size(), 1u) << dump(c);
  EXPECT_EQ(c.differences[0].category, DiffCategory::kSymbol);
  EXPECT_EQ(c.differences[0].key, "foo [3]");
  EXPECT_EQ(c.differences[0].field, "bind");
  EXPECT_EQ(c.differences[0].a, "GLOBAL");
  EXPECT_EQ(c.differences[0].b, "WEAK");
}

TEST_F(CompareTest, RelocationAddendAndSymbol) {
  // .rela.text.foo [0] is "counter - 4" (R_X86_64_PC32); make it "counter + 0x7c", then point it at foo.
  patched("sd.o", "addend.o", [](const ElfFile& f, std::vector<uint8_t>& b) {
    store<uint64_t>(b.data() + section_offset(f, ".rela.text.foo") + 16, f.endian(), 0x7c);
  });
  Comparison c = compare("sd.o", "addend.o");
  ASSERT_EQ(c.differences.size(), 1u) << dump(c);
  const Difference& d = c.differences[0];
  EXPECT_EQ(d.category, DiffCategory::kRelocation);
  EXPECT_EQ(d.key, ".rela.text.foo [0]");
  EXPECT_EQ(d.field, "r_addend");
  EXPECT_EQ(d.a, "-0x4");
  EXPECT_EQ(d.b, "0x7c");

  patched("sd.o", "relsym.o", [](const ElfFile& f, std::vector<uint8_t>& b) {
    auto syms = f.symbols(*f.symtab_index());
    uint32_t foo = 0;
    for (uint32_t i = 0; i < syms->size(); ++i)
      if (*f.string_at(f.sections()[*f.symtab_index()].link, (*syms)[i].name) == "foo") foo = i;
    ASSERT_NE(foo, 0u);
    uint8_t* info = b.data() + section_offset(f, ".rela.text.foo") + 8;
    store<uint32_t>(info + 4, f.endian(), foo);  // high half of r_info is the symbol
  });
  Comparison s = compare("sd.o", "relsym.o");
  const Difference* r = find(s, DiffCategory::kRelocation, ".rela.text.foo [0]", "symbol");
  ASSERT_NE(r, nullptr) << dump(s);
  EXPECT_EQ(r->a, "counter");
  EXPECT_EQ(r->b, "foo");
}

TEST_F(CompareTest, SectionContentsReportFirstDifferingByte) {
  patched("sd.o", "code.o", [](const ElfFile& f, std::vector<uint8_t>& b) {
    b[section_offset(f, ".text.bar") + 3] ^= 0xff;
  });
  Comparison c = compare("sd.o", "code.o");
  ASSERT_EQ(c.differences.size(), 1u) << dump(c);
  EXPECT_EQ(c.differences[0].category, DiffCategory::kSection);
  EXPECT_EQ(c.differences[0].key, ".text.bar");
  EXPECT_EQ(c.differences[0].field, "contents");
  EXPECT_EQ(c.differences[0].offset, 3u);
}

TEST_F(CompareTest, HeaderField) {
  patched("sd.o", "osabi.o", [](const ElfFile&, std::vector<uint8_t>& b) { b[7] = 3; });
  Comparison c = compare("sd.o", "osabi.o");
  ASSERT_EQ(c.differences.size(), 1u) << dump(c);
  EXPECT_EQ(c.differences[0].category, DiffCategory::kHeader);
  EXPECT_EQ(c.differences[0].field, "EI_OSABI");
}

uint64_t phdr_at(const ElfFile& f, uint32_t k) { return f.header().phoff + k * f.phdr_size(); }

TEST_F(CompareTest, SegmentsAndLoadedBytes) {
  Comparison same = compare("exe", "exe");
  EXPECT_TRUE(same.equivalent()) << dump(same);
  ElfFile exe = open("exe");
  ASSERT_GE(exe.segments().size(), 2u);
  patched("exe", "exe-code", [](const ElfFile& f, std::vector<uint8_t>& b) { b[section_offset(f, ".text")] ^= 1; });
  Comparison c = compare("exe", "exe-code");
  EXPECT_NE(find(c, DiffCategory::kSection, ".text", "contents"), nullptr) << dump(c);
  bool loaded = false;
  for (const auto& d : c.differences) loaded = loaded || (d.category == DiffCategory::kSegment && d.field == "loaded bytes");
  EXPECT_TRUE(loaded) << dump(c);

  patched("exe", "exe-flags", [](const ElfFile& f, std::vector<uint8_t>& b) {
    b[f.header().phoff + f.phdr_size() + 4] |= 2;  // program header 1 (the code) gains PF_W
  });
  Comparison p = compare("exe", "exe-flags");
  ASSERT_EQ(p.differences.size(), 2u) << dump(p);
  EXPECT_EQ(p.differences[0].category, DiffCategory::kSegment);
  EXPECT_EQ(p.differences[0].key, "[0] PT_LOAD");
  // The first PT_LOAD maps the ELF and program headers, so the patched header is a loaded byte too.
  EXPECT_EQ(p.differences[0].field, "loaded bytes");
  EXPECT_EQ(p.differences[0].offset, phdr_at(exe, 1) + 4);
  EXPECT_EQ(p.differences[1].key, "[1] PT_LOAD");
  EXPECT_EQ(p.differences[1].field, "p_flags");
  EXPECT_EQ(p.differences[1].b, "0x7 (RWE)");
}

TEST_F(CompareTest, Trailer) {
  std::vector<uint8_t> elf = read_bytes(path("sd.o"));
  auto with = [&](const std::vector<uint8_t>& t) {
    std::vector<uint8_t> b = elf;
    b.insert(b.end(), t.begin(), t.end());
    return b;
  };
  write_bytes(path("merkle1.ko"), with(merkle_trailer(3, 0x11)));
  write_bytes(path("merkle2.ko"), with(merkle_trailer(3, 0x22)));
  write_bytes(path("pkcs7.ko"), with(merkle_trailer(2, 0x11)));

  auto t = find_trailer(read_bytes(path("merkle1.ko")));
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->elf_size, elf.size());
  EXPECT_EQ(t->id_type, 3);
  EXPECT_EQ(t->sig_len, 36u);
  EXPECT_FALSE(find_trailer(elf).has_value());

  Comparison c = compare("sd.o", "merkle1.ko");
  ASSERT_EQ(c.differences.size(), 1u) << dump(c);
  EXPECT_EQ(c.differences[0].category, DiffCategory::kTrailer);
  EXPECT_EQ(c.differences[0].field, "presence");
  EXPECT_EQ(c.differences[0].b, "Merkle, 36 bytes");
  EXPECT_TRUE(c.byte_identical);  // the ELF parts

  CompareOptions ignore = unlimited();
  ignore.ignore_trailer = true;
  EXPECT_TRUE(compare("sd.o", "merkle1.ko", ignore).equivalent());
  EXPECT_TRUE(compare("merkle1.ko", "pkcs7.ko", ignore).equivalent());

  Comparison bytes = compare("merkle1.ko", "merkle2.ko");
  ASSERT_EQ(bytes.differences.size(), 1u) << dump(bytes);
  EXPECT_EQ(bytes.differences[0].field, "bytes");
  EXPECT_EQ(bytes.differences[0].offset, 0u);

  Comparison type = compare("merkle1.ko", "pkcs7.ko");
  ASSERT_NE(find(type, DiffCategory::kTrailer, "module_signature", "id_type"), nullptr) << dump(type);
  EXPECT_EQ(find(type, DiffCategory::kTrailer, "module_signature", "id_type")->b, "PKCS#7");
}

TEST_F(CompareTest, TrailerWithImpossibleLengthIsNotATrailer) {
  std::vector<uint8_t> b = read_bytes(path("sd.o"));
  std::vector<uint8_t> t = merkle_trailer(3, 0);
  store_be32(t.data() + 36 + 8, 0x7fffffff);  // sig_len larger than the file (spec §7.2: -EBADMSG)
  b.insert(b.end(), t.begin(), t.end());
  EXPECT_FALSE(find_trailer(b).has_value());
}

TEST_F(CompareTest, MaxDifferencesStopsEarly) {
  CompareOptions o;
  o.max_differences = 2;
  Comparison c = compare("base.o", "sd.o", o);
  EXPECT_EQ(c.differences.size(), 2u);
  EXPECT_TRUE(c.truncated);
  Comparison all = compare("base.o", "sd.o");
  EXPECT_GT(all.differences.size(), 2u);
  EXPECT_FALSE(all.truncated);
}

TEST_F(CompareTest, MalformedRelocationTableIsAnError) {
  patched("sd.o", "badrel.o", [](const ElfFile& f, std::vector<uint8_t>& b) {
    store<uint64_t>(b.data() + shdr_offset(f, ".rela.text.foo") + 56, f.endian(), 7);  // sh_entsize
  });
  auto a = ElfFile::open(path("sd.o"));
  auto b = ElfFile::open(path("badrel.o"));
  ASSERT_TRUE(a.ok() && b.ok());
  auto c = compare_elf(*a, *b);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().file, path("badrel.o"));
  EXPECT_EQ(c.error().offset, shdr_offset(*b, ".rela.text.foo"));
}

}  // namespace
}  // namespace elfhash::elf
