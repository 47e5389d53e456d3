// patch on real relocatable objects compiled at test time (clang-14, little- and big-endian targets):
// only the 36 bytes of .module_hashes change, and `levels` follows the ELF's byte order (spec §4.1).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fmt/core.h>

#include "elf/reader.h"
#include "merkle/module_hashes.h"
#include "merkle/patch.h"
#include "merkle/test_util.h"
#include "merkle/modsig/trailer.h"
#include "merkle/tree.h"
#include "merkle/modsig/verify.h"
#include "merkle/worked_example.h"

namespace elfhash::merkle {
namespace {

using testing::from_hex;
using testing::read_file;
using testing::run;
using testing::shell_quote;
using testing::TempDir;
using testing::write_file;

using testing::kRoot3;

// A placeholder like kernel/module/hashes_root.c (spec §4.2) surrounded by other data, so a patch
// that wrote to the wrong place would show.
const char* kSource =
    "const char before[64] = \"bytes before the section\";\n"
    "const char module_hashes_root[36] __attribute__((section(\".module_hashes\"), aligned(32))) = {0};\n"
    "const char after[64] __attribute__((section(\".rodata.after\"))) = \"bytes after the section\";\n"
    "int f(void) { return before[0] + after[0]; }\n";

std::string compile(const TempDir& dir, const std::string& name, const std::string& source,
                    const std::string& target) {
  std::string c = dir / (name + ".c"), o = dir / (name + ".o");
  write_file(c, source);
  std::string cmd = fmt::format("clang-14 {} -O0 -c {} -o {}", target.empty() ? "" : "--target=" + target,
                                shell_quote(c), shell_quote(o));
  EXPECT_EQ(run(cmd), 0) << cmd;
  return o;
}

struct Target {
  const char* triple;
  elf::Endian endian;
};

class PatchElf : public ::testing::TestWithParam<Target> {};

std::vector<uint8_t> abc_hashes(elf::Endian e) {
  auto a = testing::bytes("A"), b = testing::bytes("B"), c = testing::bytes("C");
  Tree t = Tree::build(hash_buffers({a, b, c}));
  auto enc = encode_module_hashes({t.levels(), t.root()}, e);
  return {enc.begin(), enc.end()};
}

TEST_P(PatchElf, OnlyTheSectionBytesChange) {
  TempDir dir;
  std::string obj = compile(dir, "vmlinux", kSource, GetParam().triple);
  auto elf = elf::ElfFile::open(obj);
  ASSERT_TRUE(elf.ok()) << elf.error().str();
  ASSERT_EQ(elf->endian(), GetParam().endian);
  auto sec = find_module_hashes(*elf);
  ASSERT_TRUE(sec.ok()) << sec.error().str();

  auto content = abc_hashes(elf->endian());
  std::string out = dir / "patched.o";
  ASSERT_TRUE(patch_module_hashes(*elf, content, out).ok());
  auto before = read_file(obj), after = read_file(out);
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i) {
    bool inside = i >= sec->offset && i < sec->offset + 36;
    if (!inside) ASSERT_EQ(before[i], after[i]) << "byte " << i << " outside .module_hashes changed";
    else ASSERT_EQ(after[i], content[i - sec->offset]);
  }
  std::string levels = GetParam().endian == elf::Endian::kLittle ? "02000000" : "00000002";
  auto patched = elf::ElfFile::open(out);
  ASSERT_TRUE(patched.ok());
  EXPECT_EQ(to_hex(patched->section_data(sec->index)), levels + kRoot3);
  auto root = decode_module_hashes(patched->section_data(sec->index), patched->endian(), out);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->levels, 2u);
}

TEST_P(PatchElf, CommandLineBothInputsInPlace) {
  TempDir dir;
  std::string obj = compile(dir, "vmlinux", kSource, GetParam().triple);
  ASSERT_EQ(chmod(obj.c_str(), 0751), 0);
  // modules A, B, C in an objtree; the tree is computed with the ELF's byte order.
  write_file(dir / "obj/modules.order", std::string("a.o\nsub/b.o\nc.o\n"));
  write_file(dir / "obj/a.ko", std::string("A"));
  write_file(dir / "obj/sub/b.ko", std::string("B"));
  write_file(dir / "obj/c.ko", std::string("C"));
  std::string exe = shell_quote(testing::elfhash_binary());
  std::string levels = GetParam().endian == elf::Endian::kLittle ? "02000000" : "00000002";

  ASSERT_EQ(run(fmt::format("{} patch {} --suffix .ko --objtree {}", exe, shell_quote(obj), shell_quote(dir / "obj"))), 0);
  EXPECT_EQ(testing::file_mode(obj), 0751u);  // in place keeps the permission bits
  auto elf = elf::ElfFile::open(obj);
  ASSERT_TRUE(elf.ok());
  auto idx = elf->find_section(".module_hashes");
  ASSERT_TRUE(idx);
  EXPECT_EQ(to_hex(elf->section_data(*idx)), levels + kRoot3);

  // --module-hashes takes the bytes as they are, whatever their byte order.
  std::vector<uint8_t> bin = from_hex(std::string("11223344") + std::string(64, 'e'));
  write_file(dir / "h.bin", bin);
  std::string out = dir / "out.o";
  ASSERT_EQ(run(fmt::format("{} patch {} --module-hashes {} -o {}", exe, shell_quote(obj),
                            shell_quote(dir / "h.bin"), shell_quote(out))),
            0);
  auto o = elf::ElfFile::open(out);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(to_hex(o->section_data(*idx)), to_hex(bin));
  EXPECT_EQ(to_hex(elf::ElfFile::open(obj)->section_data(*idx)), levels + kRoot3);  // -o: input untouched

  // verify --vmlinux reads the section with the ELF's byte order.
  auto proof_c = build_merkle_trailer(2, Tree::build(hash_buffers({testing::bytes("A"), testing::bytes("B"),
                                                                  testing::bytes("C")}))
                                             .proof(2));
  std::vector<uint8_t> module_c = testing::bytes("C");
  module_c.insert(module_c.end(), proof_c.begin(), proof_c.end());
  write_file(dir / "c.signed", module_c);
  EXPECT_EQ(run(fmt::format("{} verify --vmlinux {} {} >/dev/null", exe, shell_quote(obj), shell_quote(dir / "c.signed"))), 0);
  EXPECT_EQ(run(fmt::format("{} verify --vmlinux {} {} >/dev/null", exe, shell_quote(out), shell_quote(dir / "c.signed"))), 1);

  // A wrong-sized FILE.bin is refused and nothing is written.
  write_file(dir / "short.bin", std::vector<uint8_t>(35));
  EXPECT_EQ(run(fmt::format("{} patch {} --module-hashes {} -o {} 2>/dev/null", exe, shell_quote(obj),
                            shell_quote(dir / "short.bin"), shell_quote(dir / "never.o"))),
            2);
  EXPECT_FALSE(testing::file_exists(dir / "never.o"));
}

INSTANTIATE_TEST_SUITE_P(Targets, PatchElf,
                         ::testing::Values(Target{"x86_64-linux-gnu", elf::Endian::kLittle},
                                           Target{"powerpc64-linux-gnu", elf::Endian::kBig},
                                           Target{"i386-linux-gnu", elf::Endian::kLittle}));

TEST(PatchErrors, MissingWrongSizeNobitsDuplicate) {
  TempDir dir;
  auto check = [&](const std::string& name, const std::string& src, const std::string& needle) {
    std::string obj = compile(dir, name, src, "x86_64-linux-gnu");
    auto elf = elf::ElfFile::open(obj);
    ASSERT_TRUE(elf.ok());
    auto sec = find_module_hashes(*elf);
    ASSERT_FALSE(sec.ok()) << name;
    EXPECT_NE(sec.error().message.find(needle), std::string::npos) << sec.error().str();
    EXPECT_EQ(sec.error().file, obj);
    // The command refuses too, without writing the output.
    std::string out = dir / (name + ".out");
    EXPECT_EQ(run(fmt::format("{} patch {} --module-hashes /dev/null -o {} 2>/dev/null",
                              shell_quote(testing::elfhash_binary()), shell_quote(obj), shell_quote(out))),
              2);
    EXPECT_FALSE(testing::file_exists(out));
  };
  check("none", "int x = 1;\n", "no .module_hashes section");
  check("short", "const char h[35] __attribute__((section(\".module_hashes\"))) = {1};\n", "35 bytes");
  check("nobits", "asm(\".section .module_hashes,\\\"aw\\\",@nobits\\n.zero 36\\n.text\\n\");\n", "SHT_NOBITS");
  check("twice",
        "asm(\".section .module_hashes,\\\"a\\\",@progbits,unique,1\\n.zero 36\\n"
        ".section .module_hashes,\\\"a\\\",@progbits,unique,2\\n.zero 36\\n.text\\n\");\n",
        "second .module_hashes");
}

TEST(PatchErrors, SizeErrorCarriesTheSectionOffset) {
  TempDir dir;
  std::string obj = compile(dir, "short", "const char h[40] __attribute__((section(\".module_hashes\"))) = {1};\n", "");
  auto elf = elf::ElfFile::open(obj);
  ASSERT_TRUE(elf.ok());
  auto idx = elf->find_section(".module_hashes");
  ASSERT_TRUE(idx);
  auto sec = find_module_hashes(*elf);
  ASSERT_FALSE(sec.ok());
  EXPECT_EQ(sec.error().offset, elf->sections()[*idx].offset);
}

}  // namespace
}  // namespace elfhash::merkle
