// Each format decompressed from what its CLI tool writes (the tools the kernel build runs), plus the
// trailing-size convention of bzImage payloads and the bounds on hostile input.
#include "merkle/compression/decompress.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

namespace elfhash::compression {
namespace {

std::vector<uint8_t> sample() {
  std::vector<uint8_t> v;
  for (int i = 0; i < 300000; ++i) v.push_back(static_cast<uint8_t>((i * 7) ^ (i >> 5)));
  return v;
}

std::vector<uint8_t> run_tool(const std::string& cmd, const std::vector<uint8_t>& in) {
  std::string dir = std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp";
  std::string src = dir + "/in.bin", dst = dir + "/out.bin";
  std::ofstream(src, std::ios::binary).write(reinterpret_cast<const char*>(in.data()), in.size());
  std::string full = cmd + " < " + src + " > " + dst;
  if (std::system(full.c_str()) != 0) return {};
  std::ifstream f(dst, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

struct Case {
  const char* cmd;
  Format format;
};

class ToolTest : public ::testing::TestWithParam<Case> {};

TEST_P(ToolTest, DecompressesWhatTheToolWrites) {
  auto data = sample();
  auto packed = run_tool(GetParam().cmd, data);
  ASSERT_FALSE(packed.empty()) << GetParam().cmd;
  EXPECT_EQ(detect(packed), GetParam().format);
  // bzImage payloads carry the le32 decompressed size after the stream (kbuild's *_with_size).
  for (int i = 0; i < 4; ++i) packed.push_back(static_cast<uint8_t>(data.size() >> (8 * i)));
  auto out = decompress(GetParam().format, packed, "x", 1 << 24);
  ASSERT_TRUE(out.ok()) << out.error().str();
  EXPECT_EQ(*out, data);
  // Bounded output: a limit below the real size is an error, not a truncated result.
  auto small = decompress(GetParam().format, packed, "x", data.size() / 2);
  EXPECT_FALSE(small.ok());
  // Truncated input is an error.
  packed.resize(packed.size() / 2);
  EXPECT_FALSE(decompress(GetParam().format, packed, "x", 1 << 24).ok());
}

// The kernel's command lines (scripts/Makefile.lib cmd_gzip ... cmd_zstd22, modules_install).
INSTANTIATE_TEST_SUITE_P(Formats, ToolTest,
                         ::testing::Values(Case{"gzip -n -9", Format::kGzip}, Case{"bzip2 -9", Format::kBzip2},
                                           Case{"lzma -9", Format::kLzma},
                                           Case{"xz --check=crc32 --lzma2=dict=1MiB", Format::kXz},
                                           Case{"lzop -9", Format::kLzo}, Case{"lz4 -l -9", Format::kLz4},
                                           Case{"lz4 -9", Format::kLz4}, Case{"zstd -T0 --ultra -22", Format::kZstd}));

TEST(Detect, ElfIsNotCompressed) {
  std::vector<uint8_t> elf = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
  EXPECT_EQ(detect(elf), Format::kNone);
  EXPECT_FALSE(decompress(Format::kNone, elf, "x", 100).ok());
}

TEST(Decompress, GarbageAfterMagicIsAnError) {
  for (Format f : {Format::kGzip, Format::kBzip2, Format::kXz, Format::kLzo, Format::kLz4, Format::kZstd}) {
    std::vector<uint8_t> junk(64, 0xa5);
    auto good = run_tool(f == Format::kGzip ? "gzip" : f == Format::kBzip2 ? "bzip2" : f == Format::kXz ? "xz"
                         : f == Format::kLzo ? "lzop" : f == Format::kLz4 ? "lz4 -l" : "zstd", sample());
    std::copy(good.begin(), good.begin() + 12, junk.begin());  // keep the header, break the data
    EXPECT_FALSE(decompress(f, junk, "x", 1 << 24).ok()) << format_name(f);
  }
}

// decompress() without detect(): input shorter than any magic (the empty lz4 input read before
// its start, a fuzz_decompress finding) is an error in every format.
TEST(Decompress, InputShorterThanTheMagicIsAnError) {
  for (Format f : {Format::kGzip, Format::kBzip2, Format::kLzma, Format::kXz, Format::kLzo, Format::kLz4, Format::kZstd})
    for (size_t n = 0; n < 4; ++n) {
      std::vector<uint8_t> in(n, 0x02);
      EXPECT_FALSE(decompress(f, in, "x", 1 << 20).ok()) << format_name(f) << " " << n;
    }
}

// Decompression bombs: 16 MiB of zeros packs into a few KiB in every format; with a 1 MiB bound the
// result is the bound's error, not 16 MiB of output.
TEST(Decompress, BombStopsAtTheBound) {
  std::vector<uint8_t> zeros(16 << 20, 0);
  for (const char* cmd : {"gzip -9", "bzip2 -9", "lzma -9", "xz", "lzop -9", "lz4 -l -9", "lz4 -9", "zstd -19"}) {
    auto packed = run_tool(cmd, zeros);
    ASSERT_FALSE(packed.empty()) << cmd;
    ASSERT_LT(packed.size(), size_t{1} << 20) << cmd;
    auto out = decompress(detect(packed), packed, "bomb", 1 << 20);
    ASSERT_FALSE(out.ok()) << cmd;
    EXPECT_NE(out.error().str().find("decompressed data exceeds 1048576 bytes"), std::string::npos)
        << cmd << ": " << out.error().str();
  }
}

// The decoders' own memory is bounded too: a .lzma header claiming a 1 GiB dictionary for one byte
// of data is refused rather than allocated (the bound is max(output bound, 128 MiB)).
TEST(Decompress, HugeLzmaDictionaryIsRefused) {
  auto packed = run_tool("lzma -9", {'x'});
  ASSERT_GE(packed.size(), 13u);
  packed[1] = 0, packed[2] = 0, packed[3] = 0, packed[4] = 0x40;  // le32 dictionary size 2^30
  ASSERT_EQ(detect(packed), Format::kLzma);
  auto out = decompress(Format::kLzma, packed, "x", 1 << 20);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.error().str().find("dictionary needs more than"), std::string::npos) << out.error().str();
}

// Likewise a zstd frame declaring a 2 GiB window (Window_Descriptor exponent 21, RFC 8878 §3.1.1.1.2)
// around one raw byte.
TEST(Decompress, HugeZstdWindowIsRefused) {
  std::vector<uint8_t> frame = {0x28, 0xb5, 0x2f, 0xfd, 0x00, 21 << 3, 0x09, 0x00, 0x00, 'x'};
  ASSERT_EQ(detect(frame), Format::kZstd);
  EXPECT_FALSE(decompress(Format::kZstd, frame, "x", 1 << 20).ok());
  frame[5] = 10 << 3;  // a 1 MiB window decodes
  auto out = decompress(Format::kZstd, frame, "x", 1 << 20);
  ASSERT_TRUE(out.ok()) << out.error().str();
  EXPECT_EQ(*out, std::vector<uint8_t>{'x'});
}

// An explicit decoder limit (4 MiB here; the fuzz target uses 1 MiB) is tighter than the default: `lzma -9`'s
// 64 MiB dictionary decodes by default and is refused under it; a 1 MiB dictionary decodes under both.
// Likewise zstd: a 16 MiB window (exponent 14) is refused at 4 MiB, a 1 MiB one is not.
TEST(Decompress, ExplicitDecoderMemoryLimit) {
  auto data = sample();
  auto big = run_tool("lzma -9", data), small = run_tool("xz --format=lzma --lzma1=preset=9,dict=1MiB", data);
  ASSERT_FALSE(big.empty());
  ASSERT_FALSE(small.empty());
  ASSERT_TRUE(decompress(Format::kLzma, big, "x", 1 << 20).ok());
  auto refused = decompress(Format::kLzma, big, "x", 1 << 20, 4 << 20);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().str().find("dictionary needs more than 5242880 bytes"), std::string::npos)
      << refused.error().str();
  auto out = decompress(Format::kLzma, small, "x", 1 << 20, 4 << 20);
  ASSERT_TRUE(out.ok()) << out.error().str();
  EXPECT_EQ(*out, data);
  std::vector<uint8_t> frame = {0x28, 0xb5, 0x2f, 0xfd, 0x00, 14 << 3, 0x09, 0x00, 0x00, 'x'};
  EXPECT_TRUE(decompress(Format::kZstd, frame, "x", 1 << 20).ok());
  EXPECT_FALSE(decompress(Format::kZstd, frame, "x", 1 << 20, 4 << 20).ok());
  frame[5] = 10 << 3;
  EXPECT_TRUE(decompress(Format::kZstd, frame, "x", 1 << 20, 4 << 20).ok());
}

}  // namespace
}  // namespace elfhash::compression
