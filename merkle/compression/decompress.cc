#include "merkle/compression/decompress.h"

#include <bzlib.h>
#include <fmt/core.h>
#include <lz4.h>
#include <lz4frame.h>
#include <lzma.h>
#include <lzo/lzo1x.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>

#include "elf/bytes.h"

namespace elfhash::compression {
namespace {

constexpr size_t kChunk = 1 << 20;

bool starts(std::span<const uint8_t> d, std::initializer_list<uint8_t> magic) {
  return d.size() >= magic.size() && std::equal(magic.begin(), magic.end(), d.begin());
}

// The decoders' own memory (an LZMA dictionary, a zstd window) is sized by the stream's header, so a
// few hostile bytes could make liblzma or libzstd allocate up to 4 GiB before any output exists. It is
// bounded like the output: a dictionary or window larger than the whole output bound is never needed,
// with a floor of 128 MiB, which covers every kernel setting (x86 xz dict=32MiB, `lzma -9` 64 MiB,
// zstd22's 2^27 window when kbuild pipes the data into `zstd --ultra -22`).
// A caller may set a tighter limit (`decoder_memory` of decompress()): the fuzz target does, since
// under ASan every large allocation costs its shadow's poisoning.
uint64_t decoder_memory_bound(uint64_t max_size, uint64_t limit) {
  return limit ? limit : std::max<uint64_t>(max_size, uint64_t{128} << 20);
}

// Output that grows in chunks up to a bound. The codecs write into the free tail.
class Sink {
 public:
  // The first allocation is a guess from the input size (4x, between 64 KiB and kChunk): a buffer
  // of kChunk for every small module (or mutated fuzz input) was mostly zero-filling memory that the
  // decoder never wrote.
  Sink(uint64_t max, uint64_t decoder_limit, size_t input_size, const std::string& name, const char* what)
      : max_(max),
        decoder_memory_(decoder_memory_bound(max, decoder_limit)),
        first_(std::clamp<uint64_t>(uint64_t{input_size} * 4, 64 << 10, kChunk)),
        name_(name),
        what_(what) {}
  // Makes room for at least `n` more bytes (growing by at least a chunk, or half the size so far);
  // false when that would pass the bound.
  bool reserve(size_t n = 1) {
    if (buf_.size() - used_ >= n) return true;
    if (n > max_ || used_ > max_ - n) return false;
    uint64_t step = buf_.empty() ? first_ : std::max<uint64_t>(kChunk, buf_.size() / 2);
    uint64_t want = std::max<uint64_t>(used_ + n, buf_.size() + step);
    buf_.resize(std::min<uint64_t>(max_, want));
    return true;
  }
  uint64_t max() const { return max_; }
  uint64_t decoder_memory() const { return decoder_memory_; }
  uint8_t* free_ptr() { return buf_.data() + used_; }
  size_t free_size() const { return buf_.size() - used_; }
  void commit(size_t n) { used_ += n; }
  std::vector<uint8_t> take() {
    buf_.resize(used_);
    return std::move(buf_);
  }
  Error too_big() const {
    return make_error(name_, kNoOffset, fmt::format("{}: decompressed data exceeds {} bytes", what_, max_));
  }
  Error fail(uint64_t offset, const std::string& msg) const {
    return make_error(name_, offset, fmt::format("{}: {}", what_, msg));
  }

 private:
  std::vector<uint8_t> buf_;
  size_t used_ = 0;
  uint64_t max_;
  uint64_t decoder_memory_;
  uint64_t first_;
  const std::string& name_;
  const char* what_;
};

Result<std::vector<uint8_t>> gunzip(std::span<const uint8_t> in, Sink& out) {
  z_stream s{};
  if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK) return out.fail(0, "cannot initialise zlib");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&s, inflateEnd);
  s.next_in = const_cast<Bytef*>(in.data());
  s.avail_in = static_cast<uInt>(std::min<size_t>(in.size(), UINT_MAX));
  for (;;) {
    if (!out.reserve()) return out.too_big();
    s.next_out = out.free_ptr();
    s.avail_out = static_cast<uInt>(std::min<size_t>(out.free_size(), UINT_MAX));
    size_t before = s.avail_out;
    int r = inflate(&s, Z_NO_FLUSH);
    out.commit(before - s.avail_out);
    if (r == Z_STREAM_END) return out.take();
    if (r == Z_BUF_ERROR && s.avail_in == 0) return out.fail(s.total_in, "truncated gzip stream");
    if (r != Z_OK && r != Z_BUF_ERROR) return out.fail(s.total_in, s.msg ? s.msg : "corrupt gzip stream");
  }
}

Result<std::vector<uint8_t>> bunzip2(std::span<const uint8_t> in, Sink& out) {
  bz_stream s{};
  if (BZ2_bzDecompressInit(&s, 0, 0) != BZ_OK) return out.fail(0, "cannot initialise libbz2");
  std::unique_ptr<bz_stream, int (*)(bz_stream*)> guard(&s, BZ2_bzDecompressEnd);
  s.next_in = const_cast<char*>(reinterpret_cast<const char*>(in.data()));
  s.avail_in = static_cast<unsigned>(std::min<size_t>(in.size(), UINT_MAX));
  for (;;) {
    if (!out.reserve()) return out.too_big();
    s.next_out = reinterpret_cast<char*>(out.free_ptr());
    s.avail_out = static_cast<unsigned>(std::min<size_t>(out.free_size(), UINT_MAX));
    size_t before = s.avail_out;
    int r = BZ2_bzDecompress(&s);
    out.commit(before - s.avail_out);
    uint64_t consumed = in.size() - s.avail_in;
    if (r == BZ_STREAM_END) return out.take();
    if (r != BZ_OK) return out.fail(consumed, fmt::format("corrupt bzip2 stream (libbz2 error {})", r));
    if (s.avail_in == 0 && before != 0 && s.avail_out != 0) return out.fail(consumed, "truncated bzip2 stream");
  }
}

// xz and the legacy .lzma format through liblzma; the stream ends at its own end marker, so the size
// kbuild appends after it is never read as a second stream.
Result<std::vector<uint8_t>> unxz(std::span<const uint8_t> in, Sink& out, bool alone) {
  lzma_stream s = LZMA_STREAM_INIT;
  // The memory limit covers the dictionary plus liblzma's few hundred KiB of state.
  uint64_t memlimit = out.decoder_memory() + (uint64_t{1} << 20);
  lzma_ret init = alone ? lzma_alone_decoder(&s, memlimit) : lzma_stream_decoder(&s, memlimit, 0);
  if (init != LZMA_OK) return out.fail(0, "cannot initialise liblzma");
  std::unique_ptr<lzma_stream, void (*)(lzma_stream*)> guard(&s, lzma_end);
  s.next_in = in.data();
  s.avail_in = in.size();
  for (;;) {
    if (!out.reserve()) return out.too_big();
    s.next_out = out.free_ptr();
    s.avail_out = out.free_size();
    size_t before = s.avail_out;
    lzma_ret r = lzma_code(&s, s.avail_in == 0 ? LZMA_FINISH : LZMA_RUN);
    out.commit(before - s.avail_out);
    if (r == LZMA_STREAM_END) return out.take();
    if (r == LZMA_BUF_ERROR && s.avail_in == 0) return out.fail(s.total_in, "truncated stream");
    if (r == LZMA_MEMLIMIT_ERROR)
      return out.fail(s.total_in, fmt::format("dictionary needs more than {} bytes of memory", memlimit));
    if (r != LZMA_OK && r != LZMA_BUF_ERROR)
      return out.fail(s.total_in, r == LZMA_DATA_ERROR ? "corrupt data" : r == LZMA_FORMAT_ERROR ? "bad header"
                                  : fmt::format("liblzma error {}", static_cast<int>(r)));
  }
}

Result<std::vector<uint8_t>> unzstd(std::span<const uint8_t> in, Sink& out) {
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> d(ZSTD_createDCtx(), ZSTD_freeDCtx);
  // `zstd --ultra -22` (the kernel's zstd22) uses a 128 MiB window: above the decoder's default limit.
  // A larger window than decoder_memory() is refused ("Frame requires too much memory").
  int window_log = 10;  // ZSTD_WINDOWLOG_MIN; the smallest 2^n covering the limit (27 for 128 MiB)
  while (window_log < 31 && (uint64_t{1} << window_log) < out.decoder_memory()) ++window_log;
  if (!d || ZSTD_isError(ZSTD_DCtx_setParameter(d.get(), ZSTD_d_windowLogMax, window_log)))
    return out.fail(0, "cannot initialise libzstd");
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  for (;;) {
    if (!out.reserve()) return out.too_big();
    ZSTD_outBuffer ob{out.free_ptr(), out.free_size(), 0};
    size_t r = ZSTD_decompressStream(d.get(), &ob, &ib);
    out.commit(ob.pos);
    if (ZSTD_isError(r)) return out.fail(ib.pos, ZSTD_getErrorName(r));
    if (r == 0) return out.take();  // end of the first frame
    if (ib.pos == ib.size && ob.pos < ob.size) return out.fail(ib.pos, "truncated stream");
  }
}

// lzop's container (lib/decompress_unlzo.c reads the same fields): header, then blocks of be32
// decompressed size, be32 compressed size, optional checksums, data; a zero size ends the stream.
Result<std::vector<uint8_t>> unlzo(std::span<const uint8_t> in, Sink& out) {
  constexpr uint32_t kAdler32D = 0x1, kAdler32C = 0x2, kCrc32D = 0x100, kCrc32C = 0x200, kFilter = 0x800;
  constexpr uint32_t kMaxBlock = 256 * 1024 * 1024;
  if (lzo_init() != LZO_E_OK) return out.fail(0, "cannot initialise liblzo2");
  size_t p = 9;  // magic
  auto need = [&](size_t n) { return in.size() >= p && in.size() - p >= n; };
  auto be16 = [&] { uint16_t v = elf::load<uint16_t>(in.data() + p, elf::Endian::kBig); p += 2; return v; };
  auto be32 = [&] { uint32_t v = elf::load_be32(in.data() + p); p += 4; return v; };
  if (!need(4)) return out.fail(p, "truncated lzop header");
  uint16_t version = be16();
  p += 2;  // library version
  if (version >= 0x0940) {
    if (!need(2)) return out.fail(p, "truncated lzop header");
    p += 2;  // version needed to extract
  }
  if (!need(1 + (version >= 0x0940) + 4)) return out.fail(p, "truncated lzop header");
  p += 1 + (version >= 0x0940);  // method, level
  uint32_t flags = be32();
  size_t fixed = (flags & kFilter ? 4 : 0) + 4 + 4 + (version >= 0x0940 ? 4 : 0) + 1;  // mode, mtime, name len
  if (!need(fixed)) return out.fail(p, "truncated lzop header");
  p += fixed - 1;
  size_t name_len = in[p++];
  if (!need(name_len + 4)) return out.fail(p, "truncated lzop header");
  p += name_len + 4;  // name, header checksum
  for (;;) {
    if (!need(4)) return out.fail(p, "truncated lzop stream (no end block)");
    size_t block_at = p;
    uint32_t dst_len = be32();
    if (dst_len == 0) return out.take();
    if (dst_len > kMaxBlock) return out.fail(block_at, fmt::format("lzop block of {} bytes", dst_len));
    if (!need(4)) return out.fail(p, "truncated lzop block");
    uint32_t src_len = be32();
    size_t sums = (flags & kAdler32D ? 4 : 0) + (flags & kCrc32D ? 4 : 0);
    if (src_len < dst_len) sums += (flags & kAdler32C ? 4 : 0) + (flags & kCrc32C ? 4 : 0);
    if (!need(sums + size_t{src_len}) || src_len > dst_len) return out.fail(block_at, "truncated or bad lzop block");
    p += sums;
    if (!out.reserve(dst_len)) return out.too_big();
    if (src_len == dst_len) {
      std::memcpy(out.free_ptr(), in.data() + p, dst_len);
    } else {
      lzo_uint n = dst_len;
      if (lzo1x_decompress_safe(in.data() + p, src_len, out.free_ptr(), &n, nullptr) != LZO_E_OK || n != dst_len)
        return out.fail(p, "corrupt lzo block");
    }
    out.commit(dst_len);
    p += src_len;
  }
}

// lz4: the frame format (lz4 CLI default) through LZ4F, and the legacy format the kernel writes
// (`lz4 -l`: magic, then blocks of le32 compressed size and data, each at most 8 MiB decompressed).
Result<std::vector<uint8_t>> unlz4(std::span<const uint8_t> in, Sink& out) {
  constexpr size_t kLegacyBlock = 8 << 20;
  if (starts(in, {0x04, 0x22, 0x4d, 0x18})) {
    LZ4F_dctx* raw = nullptr;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&raw, LZ4F_VERSION))) return out.fail(0, "cannot initialise liblz4");
    std::unique_ptr<LZ4F_dctx, LZ4F_errorCode_t (*)(LZ4F_dctx*)> d(raw, LZ4F_freeDecompressionContext);
    size_t p = 0;
    for (;;) {
      if (!out.reserve()) return out.too_big();
      size_t src = in.size() - p, dst = out.free_size();
      size_t r = LZ4F_decompress(d.get(), out.free_ptr(), &dst, in.data() + p, &src, nullptr);
      out.commit(dst);
      p += src;
      if (LZ4F_isError(r)) return out.fail(p, LZ4F_getErrorName(r));
      if (r == 0) return out.take();
      if (p == in.size() && dst == 0) return out.fail(p, "truncated lz4 frame");
    }
  }
  // decompress() may be called without detect(): input shorter than the magic must not reach the
  // block loop, whose `in.size() - p` would wrap (a fuzz_decompress finding).
  if (!starts(in, {0x02, 0x21, 0x4c, 0x18})) return out.fail(0, "no lz4 magic");
  size_t p = 4;
  // Stop at the end of input, at another legacy magic, or where only kbuild's 4-byte size is left.
  while (in.size() - p > 4 && !starts(in.subspan(p), {0x02, 0x21, 0x4c, 0x18})) {
    uint32_t len = elf::load<uint32_t>(in.data() + p, elf::Endian::kLittle);
    if (len > in.size() - p - 4 || len > static_cast<uint32_t>(LZ4_compressBound(kLegacyBlock))) return out.fail(p, "bad lz4 block size");
    if (!out.reserve(kLegacyBlock)) return out.too_big();
    int n = LZ4_decompress_safe(reinterpret_cast<const char*>(in.data() + p + 4), reinterpret_cast<char*>(out.free_ptr()),
                                static_cast<int>(len), static_cast<int>(std::min(out.free_size(), kLegacyBlock)));
    if (n < 0) return out.fail(p, "corrupt lz4 block");
    out.commit(static_cast<size_t>(n));
    p += 4 + len;
  }
  return out.take();
}

}  // namespace

Format detect(std::span<const uint8_t> d) {
  if (starts(d, {0x1f, 0x8b})) return Format::kGzip;
  if (starts(d, {'B', 'Z', 'h'})) return Format::kBzip2;
  if (starts(d, {0xfd, '7', 'z', 'X', 'Z', 0x00})) return Format::kXz;
  if (starts(d, {0x89, 'L', 'Z', 'O', 0x00, 0x0d, 0x0a, 0x1a, 0x0a})) return Format::kLzo;
  if (starts(d, {0x02, 0x21, 0x4c, 0x18}) || starts(d, {0x04, 0x22, 0x4d, 0x18})) return Format::kLz4;
  if (starts(d, {0x28, 0xb5, 0x2f, 0xfd})) return Format::kZstd;
  if (starts(d, {0x5d, 0x00, 0x00})) return Format::kLzma;
  return Format::kNone;
}

const char* format_name(Format f) {
  switch (f) {
    case Format::kNone: return "none";
    case Format::kGzip: return "gzip";
    case Format::kBzip2: return "bzip2";
    case Format::kLzma: return "lzma";
    case Format::kXz: return "xz";
    case Format::kLzo: return "lzo";
    case Format::kLz4: return "lz4";
    case Format::kZstd: return "zstd";
  }
  return "?";
}

const char* module_suffix(Format f) {
  switch (f) {
    case Format::kGzip: return ".gz";
    case Format::kXz: return ".xz";
    case Format::kZstd: return ".zst";
    default: return "";
  }
}

Result<std::vector<uint8_t>> decompress(Format f, std::span<const uint8_t> data, const std::string& name,
                                        uint64_t max_size, uint64_t decoder_memory) {
  Sink out(max_size, decoder_memory, data.size(), name, format_name(f));
  switch (f) {
    case Format::kGzip: return gunzip(data, out);
    case Format::kBzip2: return bunzip2(data, out);
    case Format::kLzma: return unxz(data, out, true);
    case Format::kXz: return unxz(data, out, false);
    case Format::kLzo: return unlzo(data, out);
    case Format::kLz4: return unlz4(data, out);
    case Format::kZstd: return unzstd(data, out);
    case Format::kNone: break;
  }
  return make_error(name, 0, "not compressed data");
}

}  // namespace elfhash::compression
