// Tree shapes for many module counts against an independent top-down model; every proof must pass the
// kernel-equivalent verifier; hashing must not depend on the thread count.
#include <gtest/gtest.h>

#include <fmt/core.h>

#include <atomic>
#include <chrono>
#include <new>
#include <thread>

#include "merkle/parallel.h"
#include "merkle/test_util.h"
#include "merkle/modsig/trailer.h"
#include "merkle/tree.h"
#include "merkle/modsig/verify.h"

namespace elfhash::merkle {
namespace {

// Independent model (spec §2.5), written top-down: count(h) nodes exist at height h (h = -1 are the
// leaves); node (h, k) pairs children 2k and 2k+1 of height h-1, using child 2k twice when 2k+1 does not
// exist. Hashes are computed directly with SHA-256 over explicit byte strings.
struct Model {
  std::vector<std::vector<uint8_t>> files;

  uint64_t count(int h) const {
    uint64_t c = files.size();
    for (int i = -1; i < h; ++i) c = (c + 1) / 2;
    return c;
  }
  Hash node(int h, uint64_t k) const {
    if (h < 0) {
      std::vector<uint8_t> msg = {0x01, uint8_t(k >> 24), uint8_t(k >> 16), uint8_t(k >> 8), uint8_t(k)};
      msg.insert(msg.end(), files[k].begin(), files[k].end());
      return sha256(msg);
    }
    uint64_t right = 2 * k + 1 < count(h - 1) ? 2 * k + 1 : 2 * k;
    Hash l = node(h - 1, 2 * k), r = node(h - 1, right);
    std::vector<uint8_t> msg = {0x02};
    msg.insert(msg.end(), l.begin(), l.end());
    msg.insert(msg.end(), r.begin(), r.end());
    return sha256(msg);
  }
  int levels() const {
    if (files.size() <= 1) return files.empty() ? 0 : 1;
    int l = 0;
    while ((uint64_t{1} << l) < files.size()) ++l;  // ceil(log2 n)
    return l;
  }
  Hash root() const { return levels() == 0 ? Hash{} : node(levels() - 1, 0); }
  std::vector<Hash> proof(uint64_t pos) const {
    std::vector<Hash> out;
    for (int i = 0; i < levels(); ++i) {
      uint64_t k = pos >> i;
      uint64_t sib = (k ^ 1) < count(i - 1) ? (k ^ 1) : k;
      out.push_back(node(i - 1, sib));
    }
    return out;
  }
};

std::vector<std::vector<uint8_t>> make_files(size_t n) {
  std::vector<std::vector<uint8_t>> files;
  for (size_t i = 0; i < n; ++i) {
    std::string s = fmt::format("module {} ", i);
    s.append(i * 7 % 50, static_cast<char>('a' + i % 26));
    files.push_back(testing::bytes(s));
  }
  return files;
}

std::vector<std::span<const uint8_t>> spans(const std::vector<std::vector<uint8_t>>& files) {
  return {files.begin(), files.end()};
}

class TreeShapes : public ::testing::TestWithParam<size_t> {};

TEST_P(TreeShapes, MatchesModelAndEveryProofVerifies) {
  size_t n = GetParam();
  Model model{make_files(n)};
  Tree t = Tree::build(hash_buffers(spans(model.files), 3));
  ASSERT_EQ(t.levels(), static_cast<uint32_t>(model.levels()));
  EXPECT_EQ(t.levels(), levels_for(n));
  ASSERT_EQ(t.root(), model.root()) << "n=" << n;
  ModuleHashesRoot root{t.levels(), t.root()};
  for (uint32_t pos = 0; pos < n; ++pos) {
    auto proof = t.proof(pos);
    ASSERT_EQ(proof, model.proof(pos)) << "n=" << n << " pos=" << pos;
    std::vector<uint8_t> module = model.files[pos];
    auto trailer = build_merkle_trailer(pos, proof);
    EXPECT_EQ(trailer.size(), 44 + 32 * t.levels());
    module.insert(module.end(), trailer.begin(), trailer.end());
    auto r = verify_module(module, root);
    EXPECT_TRUE(r.ok()) << "n=" << n << " pos=" << pos << ": " << r.reason;
    // The module in another position's slot must not verify (the position is in the leaf hash).
    if (n > 1) {
      std::vector<uint8_t> other = model.files[(pos + 1) % n];
      other.insert(other.end(), trailer.begin(), trailer.end());
      EXPECT_EQ(verify_module(other, root).code, VerifyCode::kMismatch);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Counts, TreeShapes,
                         ::testing::Values(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 33));

TEST(Levels, KnownValues) {
  EXPECT_EQ(levels_for(0), 0u);
  EXPECT_EQ(levels_for(1), 1u);
  EXPECT_EQ(levels_for(2), 1u);
  EXPECT_EQ(levels_for(3), 2u);
  EXPECT_EQ(levels_for(4), 2u);
  EXPECT_EQ(levels_for(5), 3u);
  EXPECT_EQ(levels_for(8), 3u);
  EXPECT_EQ(levels_for(9), 4u);
  EXPECT_EQ(levels_for(4256), 13u);  // Debian's module count in spec §8.1
  EXPECT_EQ(levels_for(uint64_t{1} << 32), 32u);
}

TEST(Threads, ResultIndependentOfThreadCount) {
  auto files = make_files(57);
  auto one = hash_buffers(spans(files), 1);
  auto four = hash_buffers(spans(files), 4);
  ASSERT_EQ(one, four);
  Tree a = Tree::build(one), b = Tree::build(four);
  EXPECT_EQ(a.root(), b.root());
  for (uint32_t pos = 0; pos < files.size(); ++pos) EXPECT_EQ(a.proof(pos), b.proof(pos));
}

TEST(Files, MatchBuffersForAnyThreadCount) {
  testing::TempDir dir;
  auto files = make_files(23);
  std::vector<std::string> paths;
  for (size_t i = 0; i < files.size(); ++i) {
    paths.push_back(dir / fmt::format("m{}.ko", i));
    testing::write_file(paths.back(), files[i]);
  }
  auto expect = hash_buffers(spans(files), 1);
  for (unsigned threads : {1u, 2u, 4u, 0u}) {
    auto got = hash_files(paths, threads);
    ASSERT_TRUE(got.ok()) << got.error().str();
    EXPECT_EQ(*got, expect) << threads << " threads";
  }
}

TEST(Files, FirstErrorInListOrderWins) {
  testing::TempDir dir;
  std::vector<std::string> paths;
  for (int i = 0; i < 40; ++i) {
    paths.push_back(dir / fmt::format("m{}.ko", i));
    testing::write_file(paths.back(), fmt::format("content {}", i));
  }
  testing::write_file(paths[31], std::string());  // empty: the kernel tool fails on it
  paths[12] = dir / "missing.ko";
  for (unsigned threads : {1u, 2u, 8u}) {
    auto got = hash_files(paths, threads);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().file, paths[12]);
  }
  paths[12] = dir / "m0.ko";
  auto got = hash_files(paths, 4);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().file, paths[31]);
  EXPECT_NE(got.error().message.find("empty"), std::string::npos);
}

}  // namespace
}  // namespace elfhash::merkle

namespace elfhash::merkle {
namespace {

// A std::bad_alloc in a worker used to reach std::terminate (abort, temporary files left): it must
// come back to the caller, after every worker joined, and stop the remaining jobs.
TEST(ParallelFor, AnExceptionInAWorkerReachesTheCaller) {
  for (unsigned threads : {1u, 4u}) {
    std::atomic<int> ran{0};
    EXPECT_THROW(parallel_for<NoState>(1000, threads,
                                       [&](NoState&, size_t i) {
                                         ++ran;
                                         if (i == 3) throw std::bad_alloc();
                                         std::this_thread::sleep_for(std::chrono::microseconds(500));
                                       }),
                 std::bad_alloc);
    EXPECT_LT(ran.load(), 1000) << threads;
  }
}

}  // namespace
}  // namespace elfhash::merkle
