// Unit tests for the engine's building blocks whose fast paths must not change results: the
// BFD-compatible string table builder and the glob pattern matcher. (Whole-file behaviour is tested
// against GNU binutils by tools/tests/objcopy_gnu_test.sh and kernel_gnu_parity_test.sh.)
#include <fnmatch.h>
#include <gtest/gtest.h>

#include <set>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "elf/patterns.h"
#include "elf/strtab.h"

namespace elfhash::elf {
namespace {

std::string at(const StringTable& t, uint32_t handle) {
  const auto& b = t.bytes();
  std::string s;
  for (size_t i = t.offset(handle); i < b.size() && b[i] != 0; ++i) s += static_cast<char>(b[i]);
  return s;
}

std::string bytes(const StringTable& t) { return std::string(t.bytes().begin(), t.bytes().end()); }

TEST(StringTable, EmptyStringIsOffsetZero) {
  StringTable t;
  uint32_t e = t.add("");
  t.finalize();
  EXPECT_EQ(t.offset(e), 0u);
  EXPECT_EQ(bytes(t), std::string(1, '\0'));
}

TEST(StringTable, DuplicatesStoredOnceInFirstInsertionOrder) {
  StringTable t;
  uint32_t a = t.add("foo"), b = t.add("bar"), c = t.add("foo");
  t.finalize();
  EXPECT_EQ(bytes(t), std::string("\0foo\0bar\0", 9));
  EXPECT_EQ(t.offset(a), 1u);
  EXPECT_EQ(t.offset(b), 5u);
  EXPECT_EQ(t.offset(c), 1u);
}

TEST(StringTable, SuffixSharesTheLongerString) {
  StringTable t;
  uint32_t bar = t.add("bar"), foobar = t.add("foobar"), bar2 = t.add("bar");
  t.finalize();
  EXPECT_EQ(bytes(t), std::string("\0foobar\0", 8));
  EXPECT_EQ(t.offset(foobar), 1u);
  EXPECT_EQ(t.offset(bar), 4u);
  EXPECT_EQ(t.offset(bar2), 4u);
}

TEST(StringTable, SuffixMergesIntoNearestLongerNeighbourInReversedOrder) {
  // Reversed: "ra" < "rabx" < "raby": "ar" merges into "xbar" (its neighbour), not "ybar".
  StringTable t;
  uint32_t y = t.add("ybar"), x = t.add("xbar"), ar = t.add("ar");
  t.finalize();
  EXPECT_EQ(bytes(t), std::string("\0ybar\0xbar\0", 11));
  EXPECT_EQ(t.offset(y), 1u);
  EXPECT_EQ(t.offset(x), 6u);
  EXPECT_EQ(t.offset(ar), 8u);
}

TEST(StringTable, LargeTableRadixPathMergesCompletely) {
  // Over finalize()'s radix threshold: 30000 strings over a 4-letter alphabet, with shared tails.
  std::mt19937 rng(7);
  std::vector<std::string> strs;
  for (int i = 0; i < 30000; ++i) {
    std::string s(1 + rng() % 14, 'a');
    for (char& ch : s) ch = static_cast<char>('a' + rng() % 4);
    strs.push_back(s + (i % 3 ? "_tail" : ""));
  }
  StringTable t;
  std::vector<uint32_t> h;
  for (const auto& s : strs) h.push_back(t.add(s));
  t.finalize();
  for (size_t i = 0; i < strs.size(); ++i) ASSERT_EQ(at(t, h[i]), strs[i]) << i;
  std::set<std::string> distinct(strs.begin(), strs.end()), proper_suffixes;
  for (const auto& s : distinct)
    for (size_t k = 1; k < s.size(); ++k) proper_suffixes.insert(s.substr(k));
  size_t want = 1;
  for (const auto& s : distinct)
    if (!proper_suffixes.count(s)) want += s.size() + 1;
  EXPECT_EQ(t.bytes().size(), want);
}

TEST(StringTable, EveryHandleResolvesToItsStringOnRandomInput) {
  // Short strings over a 3-letter alphabet: many duplicates, shared 8-byte tails and suffixes.
  std::mt19937 rng(42);
  std::vector<std::string> strs;
  for (int i = 0; i < 3000; ++i) {
    std::string s(1 + rng() % 12, 'a');
    for (char& ch : s) ch = static_cast<char>('a' + rng() % 3);
    strs.push_back(s);
  }
  StringTable t;
  std::vector<uint32_t> h;
  for (const auto& s : strs) h.push_back(t.add(s));
  t.finalize();
  std::vector<std::string> seen;
  for (size_t i = 0; i < strs.size(); ++i) {
    ASSERT_EQ(at(t, h[i]), strs[i]) << i;
    if (std::find(seen.begin(), seen.end(), strs[i]) == seen.end()) seen.push_back(strs[i]);
  }
  // binutils' tail merging is complete: a distinct string is stored only when it is not a proper
  // suffix of another one, so the table has exactly that size (the leading NUL included). Without
  // merging (or with a partial one) it would be larger; without dedup, larger still.
  size_t want = 1, suffixes = 0;
  for (const auto& s : seen) {
    bool suffix = false;
    for (const auto& o : seen)
      suffix = suffix || (o.size() > s.size() && o.compare(o.size() - s.size(), s.size(), s) == 0);
    if (suffix) ++suffixes;
    else want += s.size() + 1;
  }
  EXPECT_GT(suffixes, 100u);  // the property is exercised
  EXPECT_EQ(t.bytes().size(), want);
  // Identical strings always share one offset.
  for (size_t i = 0; i < strs.size(); ++i)
    for (size_t j = i + 1; j < std::min(strs.size(), i + 50); ++j)
      if (strs[i] == strs[j]) EXPECT_EQ(t.offset(h[i]), t.offset(h[j]));
}

bool reference(const std::vector<std::string>& pats, const std::string& name) {
  bool hit = false;
  for (const auto& p : pats) {
    bool neg = !p.empty() && p[0] == '!';
    bool m = fnmatch(p.c_str() + (neg ? 1 : 0), name.c_str(), 0) == 0;
    if (m && neg) return false;
    hit = hit || m;
  }
  return hit;
}

TEST(PatternList, GlobFastPathAgreesWithFnmatch) {
  const std::vector<std::vector<std::string>> lists = {
      {"__mod_device_table__*"}, {".rel*", "!.rel*.dyn", ".rel.*"}, {".te[x]t"}, {"\\.foo", "x\\*"},
      {"*"}, {"?"}, {"abc"}, {"[a-c]x", "!bx"}, {"!"}, {""}, {".debug_*", ".zdebug*"},
  };
  const std::vector<std::string> names = {
      "", "a", "abc", "abcd", ".text", ".tex", ".rela.text", ".rel.dyn", ".rela.dyn", ".rel", ".foo", "\\.foo",
      "x*", "xx", "ax", "bx", "cx", ".debug_info", ".zdebug_str", "__mod_device_table__pci__e1000",
      "__mod_device_table", std::string(300, 'a'), std::string(300, '_') + "x",
  };
  for (const auto& pats : lists) {
    PatternList p;
    for (const auto& s : pats) p.add(s);
    for (const auto& n : names) EXPECT_EQ(p.matches(n), reference(pats, n)) << pats[0] << " vs '" << n << "'";
  }
}

TEST(PatternList, ExactModeIgnoresGlobCharacters) {
  PatternList p(false);
  p.add("a*");
  p.add("!b");
  EXPECT_TRUE(p.matches("a*"));
  EXPECT_FALSE(p.matches("ab"));
  EXPECT_TRUE(p.matches("!b"));
  EXPECT_FALSE(p.matches("b"));
}

}  // namespace
}  // namespace elfhash::elf
