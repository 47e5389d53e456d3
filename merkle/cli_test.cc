// `elfhash modules-merkle-tree` as a drop-in for the kernel's scripts/modules-merkle-tree (spec §6.3):
// same files, same bytes, same exit codes. Also sign/verify/tree through the binary.
#include <gtest/gtest.h>

#include <fmt/core.h>

#include "merkle/test_util.h"
#include "merkle/modsig/trailer.h"
#include "merkle/worked_example.h"

namespace elfhash::merkle {
namespace {

using testing::from_hex;
using testing::read_file;
using testing::run;
using testing::shell_quote;
using testing::TempDir;
using testing::write_file;
using testing::kL0;
using testing::kL1;
using testing::kL2;
using testing::kN00;
using testing::kN01;
constexpr const char* kTail = testing::kTail2Levels;
constexpr const char* kRootC = testing::kRootCFile;

const char* kEmptyC =
    "#include <linux/module_hashes.h>\n"
    "\n"
    "const struct\n"
    "module_hashes_root module_hashes_root __module_hashes_section = {\n"
    "\t.levels = 0,\n"
    "\t.hash = {{\n"
    "\t\t0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,\n"
    "\t\t0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,\n"
    "\t\t0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,\n"
    "\t\t0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,\n"
    "\t}},\n"
    "};\n";

std::string text(const std::vector<uint8_t>& v) { return {v.begin(), v.end()}; }

// Runs the tool in `dir` under a restrictive umask (the outputs must still be 0644).
int merkle_tree(const TempDir& dir, const std::string& args) {
  return run(fmt::format("cd {} && umask 077 && {} modules-merkle-tree {} 2>stderr.txt", shell_quote(dir.path()),
                         shell_quote(testing::elfhash_binary()), args));
}

void make_abc(const TempDir& dir, const std::string& suffix) {
  write_file(dir / "modules.order", std::string("drivers/a.o\nfs/sub/b.o\nc.o\n"));
  write_file(dir / ("drivers/a" + suffix), std::string("A"));
  write_file(dir / ("fs/sub/b" + suffix), std::string("B"));
  write_file(dir / ("c" + suffix), std::string("C"));
}

TEST(ModulesMerkleTree, ThreeModulesLikeTheKernelTool) {
  for (std::string suffix : {".ko", ".ko.stripped"}) {
    TempDir dir;
    make_abc(dir, suffix);
    ASSERT_EQ(merkle_tree(dir, ".tmp_module_hashes.c " + suffix), 0) << text(read_file(dir / "stderr.txt"));
    EXPECT_EQ(text(read_file(dir / ".tmp_module_hashes.c")), kRootC);
    EXPECT_EQ(testing::file_mode(dir / ".tmp_module_hashes.c"), 0644u);
    // Proofs replace the kmod suffix with .merkle and sit beside the modules.
    EXPECT_EQ(to_hex(read_file(dir / "drivers/a.merkle")), std::string("00000000") + kL1 + kN01 + kTail);
    EXPECT_EQ(to_hex(read_file(dir / "fs/sub/b.merkle")), std::string("00000001") + kL0 + kN01 + kTail);
    EXPECT_EQ(to_hex(read_file(dir / "c.merkle")), std::string("00000002") + kL2 + kN00 + kTail);
    for (auto p : {"drivers/a.merkle", "fs/sub/b.merkle", "c.merkle"}) EXPECT_EQ(testing::file_mode(dir / p), 0644u);
  }
}

TEST(ModulesMerkleTree, ExistingProofsAreReplaced) {
  TempDir dir;
  make_abc(dir, ".ko");
  write_file(dir / "c.merkle", std::string(500, 'x'));
  ASSERT_EQ(merkle_tree(dir, "out.c .ko"), 0);
  EXPECT_EQ(read_file(dir / "c.merkle").size(), 108u);
}

TEST(ModulesMerkleTree, EmptyOrder) {
  TempDir dir;
  write_file(dir / "modules.order", std::string());
  ASSERT_EQ(merkle_tree(dir, "out.c .ko"), 0);
  EXPECT_EQ(text(read_file(dir / "out.c")), kEmptyC);
}

TEST(ModulesMerkleTree, Failures) {
  TempDir dir;
  // Usage: exactly two arguments, status 2.
  EXPECT_EQ(merkle_tree(dir, "out.c"), 2);
  EXPECT_EQ(merkle_tree(dir, "out.c .ko extra"), 2);
  // No modules.order: status 1.
  EXPECT_EQ(merkle_tree(dir, "out.c .ko"), 1);
  // A line not ending in .o.
  write_file(dir / "modules.order", std::string("a.o\nb.ko\n"));
  write_file(dir / "a.ko", std::string("A"));
  EXPECT_EQ(merkle_tree(dir, "out.c .ko"), 1);
  EXPECT_NE(text(read_file(dir / "stderr.txt")).find("'b.ko' does not end in '.o'"), std::string::npos);
  // A missing and a zero-length module are fatal; nothing is written.
  write_file(dir / "modules.order", std::string("a.o\nb.o\n"));
  EXPECT_EQ(merkle_tree(dir, "out.c .ko"), 1);
  write_file(dir / "b.ko", std::string());
  EXPECT_EQ(merkle_tree(dir, "out.c .ko"), 1);
  EXPECT_NE(text(read_file(dir / "stderr.txt")).find("b.ko"), std::string::npos);
  EXPECT_FALSE(testing::file_exists(dir / "out.c"));
  EXPECT_FALSE(testing::file_exists(dir / "a.merkle"));
}

// A module listed twice would get two leaves but one proof file, written by two threads at once: the
// surviving pos depended on scheduling (1 run in 12). It is an error, before anything is written.
TEST(Commands, TreeRefusesARepeatedModulesOrderLine) {
  TempDir dir;
  make_abc(dir, ".ko");
  write_file(dir / "modules.order", std::string("drivers/a.o\nc.o\nfs/sub/b.o\nc.o\n"));
  std::string cmd = fmt::format("cd {} && {} tree --suffix .ko --proofs-out proofs -j 4 >/dev/null 2>stderr.txt",
                                shell_quote(dir.path()), shell_quote(testing::elfhash_binary()));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(run(cmd), 2);
    EXPECT_EQ(text(read_file(dir / "stderr.txt")),
              "elfhash: proofs/c.merkle: modules.order line 4 names the same module as line 2; one proof file "
              "cannot carry two positions\n");
    EXPECT_FALSE(testing::file_exists(dir / "proofs/c.merkle"));
    EXPECT_FALSE(testing::file_exists(dir / "proofs/drivers/a.merkle"));
  }
}

TEST(Commands, TreeSignVerify) {
  TempDir dir;
  make_abc(dir, ".ko");
  std::string exe = shell_quote(testing::elfhash_binary());
  std::string d = shell_quote(dir.path());
  ASSERT_EQ(run(fmt::format("cd {} && {} tree --suffix .ko --hashes-out h.bin --proofs-out proofs -j 2 --json > tree.json",
                            d, exe)),
            0);
  EXPECT_EQ(to_hex(read_file(dir / "h.bin")),
            "02000000adaaf6b82ff17514bc2722c9df353180689e7eee3d2f60dd289e3b351207998b");
  EXPECT_NE(text(read_file(dir / "tree.json")).find("\"levels\": 2"), std::string::npos);
  EXPECT_EQ(to_hex(read_file(dir / "proofs/c.merkle")), std::string("00000002") + kL2 + kN00 + kTail);
  ASSERT_EQ(run(fmt::format("cd {} && {} tree --suffix .ko --endian big --hashes-out be.bin >/dev/null", d, exe)), 0);
  EXPECT_EQ(to_hex(read_file(dir / "be.bin")).substr(0, 8), "00000002");

  // Install copies and sign them from the proofs directory.
  write_file(dir / "inst/drivers/a.ko", std::string("A"));
  write_file(dir / "inst/fs/sub/b.ko", std::string("B"));
  write_file(dir / "inst/c.ko", std::string("C"));
  ASSERT_EQ(run(fmt::format("cd {} && {} sign --proofs-dir proofs --order modules.order --modules-dir inst", d, exe)), 0);
  EXPECT_EQ(to_hex(read_file(dir / "inst/c.ko")), std::string("43") + "00000002" + kL2 + kN00 + kTail);
  // A second signing is refused, and leaves the module unchanged.
  EXPECT_EQ(run(fmt::format("cd {} && {} sign --merkle proofs/c.merkle inst/c.ko 2>/dev/null", d, exe)), 2);
  EXPECT_EQ(read_file(dir / "inst/c.ko").size(), 109u);
  // Both byte orders of the bare root verify (detected from the levels value).
  for (std::string bin : {"h.bin", "be.bin"})
    EXPECT_EQ(run(fmt::format("cd {} && {} verify -v --module-hashes {} inst/drivers/a.ko inst/fs/sub/b.ko inst/c.ko "
                              ">out.txt",
                              d, exe, bin)),
              0);
  EXPECT_EQ(text(read_file(dir / "out.txt")), "inst/drivers/a.ko: ok\ninst/fs/sub/b.ko: ok\ninst/c.ko: ok\n"
            "3 modules: 3 ok (0 pkcs7, 3 merkle), 0 failed, 0 missing, 0 extra\n");
  // --replace swaps the proof for B's: C now fails with ENOKEY, and an unsigned module is ENODATA.
  ASSERT_EQ(run(fmt::format("cd {} && {} sign --replace --merkle proofs/fs/sub/b.merkle inst/c.ko", d, exe)), 0);
  EXPECT_EQ(read_file(dir / "inst/c.ko").size(), 109u);
  EXPECT_EQ(run(fmt::format("cd {} && {} verify --module-hashes h.bin inst/c.ko c.ko >out.txt", d, exe)), 1);
  std::string out = text(read_file(dir / "out.txt"));
  EXPECT_NE(out.find("inst/c.ko: mismatch (ENOKEY): "), std::string::npos) << out;
  EXPECT_NE(out.find("c.ko: unsigned (ENODATA): no signature marker"), std::string::npos) << out;
  // Missing module: read error, status 2; bad usage: status 2.
  EXPECT_EQ(run(fmt::format("cd {} && {} verify --module-hashes h.bin nope.ko 2>/dev/null", d, exe)), 2);
  EXPECT_EQ(run(fmt::format("cd {} && {} verify inst/c.ko 2>/dev/null", d, exe)), 2);
  EXPECT_EQ(run(fmt::format("cd {} && {} sign --pkcs7 inst/c.ko 2>/dev/null", d, exe)), 2);
}

}  // namespace
}  // namespace elfhash::merkle
