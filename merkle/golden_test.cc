// Spec §2.6: real output of the kernel's v5 scripts/modules-merkle-tree for modules "A", "B", "C".
#include <gtest/gtest.h>

#include "merkle/module_hashes.h"
#include "merkle/test_util.h"
#include "merkle/modsig/trailer.h"
#include "merkle/tree.h"
#include "merkle/modsig/verify.h"
#include "merkle/worked_example.h"

namespace elfhash::merkle {
namespace {

using testing::bytes;
using testing::from_hex;
using testing::hash_from_hex;
using testing::kL0;
using testing::kL1;
using testing::kL2;
using testing::kN00;
using testing::kN01;
using testing::kRoot1;
using testing::kRoot3;

const char* kTrailerC =
    "00000002"
    "e82095fe358dfe6a1d8461c9145af9a2cb6b599af6eade9dbff9861496be9a37"
    "612c79232e9cdffe2a454cf73e724faa6ee9e4165bcff25037f02c36046a905b"
    "000003000000000000000044"
    "7e4d6f64756c65207369676e617475726520617070656e6465647e0a";

Tree abc_tree() {
  auto a = bytes("A"), b = bytes("B"), c = bytes("C");
  return Tree::build(hash_buffers({a, b, c}));
}

TEST(Golden, LeafAndNodeHashes) {
  EXPECT_EQ(to_hex(leaf_hash(0, bytes("A"))), kL0);
  EXPECT_EQ(to_hex(leaf_hash(1, bytes("B"))), kL1);
  EXPECT_EQ(to_hex(leaf_hash(2, bytes("C"))), kL2);
  EXPECT_EQ(to_hex(node_hash(hash_from_hex(kL0), hash_from_hex(kL1))), kN00);
  EXPECT_EQ(to_hex(node_hash(hash_from_hex(kL2), hash_from_hex(kL2))), kN01);
}

TEST(Golden, ThreeModulesTree) {
  Tree t = abc_tree();
  ASSERT_EQ(t.levels(), 2u);
  EXPECT_EQ(to_hex(t.leaves()[0]), kL0);
  EXPECT_EQ(to_hex(t.leaves()[1]), kL1);
  EXPECT_EQ(to_hex(t.leaves()[2]), kL2);
  ASSERT_EQ(t.level(0).size(), 2u);
  EXPECT_EQ(to_hex(t.level(0)[0]), kN00);
  EXPECT_EQ(to_hex(t.level(0)[1]), kN01);
  ASSERT_EQ(t.level(1).size(), 1u);
  EXPECT_EQ(to_hex(t.root()), kRoot3);
}

TEST(Golden, TrailerOfModuleC) {
  Tree t = abc_tree();
  auto trailer = build_merkle_trailer(2, t.proof(2));
  ASSERT_EQ(trailer.size(), 108u);
  EXPECT_EQ(to_hex(trailer), kTrailerC);
  EXPECT_EQ(to_hex(from_hex(kTrailerC)), kTrailerC);  // the hex helper itself round-trips
}

TEST(Golden, SignedModuleCVerifies) {
  auto module = bytes("C");
  auto trailer = from_hex(kTrailerC);
  module.insert(module.end(), trailer.begin(), trailer.end());
  ModuleHashesRoot root{2, hash_from_hex(kRoot3)};
  auto r = verify_module(module, root);
  EXPECT_TRUE(r.ok()) << r.reason;
  // The same proof on module "B" names pos 2, so the leaf differs and the root does not match.
  module[0] = 'B';
  EXPECT_EQ(verify_module(module, root).code, VerifyCode::kMismatch);
}

TEST(Golden, SingleModule) {
  auto a = bytes("A");
  Tree t = Tree::build(hash_buffers({a}));
  EXPECT_EQ(t.levels(), 1u);
  EXPECT_EQ(to_hex(t.root()), kRoot1);
  auto trailer = build_merkle_trailer(0, t.proof(0));
  ASSERT_EQ(trailer.size(), 76u);
  EXPECT_EQ(to_hex(std::span(trailer).first(36)), std::string("00000000") + kL0);
  EXPECT_EQ(to_hex(std::span(trailer).subspan(36, 12)), "000003000000000000000024");
  EXPECT_EQ(std::string(trailer.end() - 28, trailer.end()), kMarker);
}

TEST(Golden, EmptyTree) {
  Tree t = Tree::build({});
  EXPECT_EQ(t.levels(), 0u);
  EXPECT_EQ(t.root(), Hash{});
}

TEST(Golden, ModuleHashesBytes) {
  ModuleHashesRoot r{2, hash_from_hex(kRoot3)};
  EXPECT_EQ(to_hex(encode_module_hashes(r, elf::Endian::kLittle)), std::string("02000000") + kRoot3);
  EXPECT_EQ(to_hex(encode_module_hashes(r, elf::Endian::kBig)), std::string("00000002") + kRoot3);
  auto le = encode_module_hashes(r, elf::Endian::kLittle);
  auto back = decode_module_hashes(le, elf::Endian::kLittle, "x");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, r);
  EXPECT_EQ(guess_module_hashes_endian(le), elf::Endian::kLittle);
  EXPECT_EQ(guess_module_hashes_endian(encode_module_hashes(r, elf::Endian::kBig)), elf::Endian::kBig);
  EXPECT_FALSE(decode_module_hashes(std::span(le).first(35), elf::Endian::kLittle, "x").ok());
}

// The generated C file of spec §4.3 item 1 for the worked example, as the kernel tool prints it.
TEST(Golden, RootCFile) {
  EXPECT_EQ(render_module_hashes_c({2, hash_from_hex(kRoot3)}), testing::kRootCFile);
}

}  // namespace
}  // namespace elfhash::merkle
