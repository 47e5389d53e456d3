#include "merkle/compression/compress.h"

#include <fmt/core.h>
#include <lzma.h>
#include <zstd.h>

#include <memory>

namespace elfhash::merkle {
namespace {

// xz(1) in single-threaded mode (the default of xz-utils 5.4) runs lzma_stream_encoder; the
// one-call buffer encoder would write block sizes the CLI leaves out, so the stream API is used.
Result<std::vector<uint8_t>> compress_xz(std::initializer_list<std::span<const uint8_t>> parts, const std::string& name) {
  lzma_options_lzma opt;
  if (lzma_lzma_preset(&opt, LZMA_PRESET_DEFAULT)) return make_error(name, kNoOffset, "xz: preset unavailable");
  opt.dict_size = 1u << 20;  // --lzma2=dict=1MiB
  lzma_filter filters[] = {{LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, nullptr}};
  lzma_stream s = LZMA_STREAM_INIT;
  if (lzma_stream_encoder(&s, filters, LZMA_CHECK_CRC32) != LZMA_OK)
    return make_error(name, kNoOffset, "xz: cannot initialise the encoder");
  std::unique_ptr<lzma_stream, void (*)(lzma_stream*)> guard(&s, lzma_end);
  size_t total = 0;
  for (auto p : parts) total += p.size();
  std::vector<uint8_t> out(lzma_stream_buffer_bound(total) + 1024);
  s.next_out = out.data();
  s.avail_out = out.size();
  for (auto p : parts) {
    s.next_in = p.data();
    s.avail_in = p.size();
    while (s.avail_in > 0)
      if (lzma_code(&s, LZMA_RUN) != LZMA_OK) return make_error(name, kNoOffset, "xz: compression failed");
  }
  lzma_ret r;
  while ((r = lzma_code(&s, LZMA_FINISH)) == LZMA_OK) {
  }
  if (r != LZMA_STREAM_END) return make_error(name, kNoOffset, "xz: compression failed");
  out.resize(s.total_out);
  return out;
}

// zstd(1) defaults: level 3, XXH64 checksum on, content size in the frame header, and (zstd 1.5's
// -T1) one worker thread: multithreaded mode cuts large inputs into jobs, which changes the bytes
// of modules above a few MB compared with single-threaded compression.
Result<std::vector<uint8_t>> compress_zstd(std::initializer_list<std::span<const uint8_t>> parts, const std::string& name) {
  std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> c(ZSTD_createCCtx(), ZSTD_freeCCtx);
  size_t total = 0;
  for (auto p : parts) total += p.size();
  if (!c || ZSTD_isError(ZSTD_CCtx_setParameter(c.get(), ZSTD_c_compressionLevel, ZSTD_CLEVEL_DEFAULT)) ||
      ZSTD_isError(ZSTD_CCtx_setParameter(c.get(), ZSTD_c_checksumFlag, 1)) ||
      ZSTD_isError(ZSTD_CCtx_setParameter(c.get(), ZSTD_c_nbWorkers, 1)) ||
      ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(c.get(), total)))
    return make_error(name, kNoOffset, "zstd: cannot initialise the compressor");
  std::vector<uint8_t> out(ZSTD_compressBound(total) + 1024);
  ZSTD_outBuffer ob{out.data(), out.size(), 0};
  for (auto p : parts) {
    ZSTD_inBuffer ib{p.data(), p.size(), 0};
    while (ib.pos < ib.size) {
      size_t r = ZSTD_compressStream2(c.get(), &ob, &ib, ZSTD_e_continue);
      if (ZSTD_isError(r)) return make_error(name, kNoOffset, fmt::format("zstd: {}", ZSTD_getErrorName(r)));
    }
  }
  ZSTD_inBuffer none{nullptr, 0, 0};
  for (;;) {
    size_t r = ZSTD_compressStream2(c.get(), &ob, &none, ZSTD_e_end);
    if (ZSTD_isError(r)) return make_error(name, kNoOffset, fmt::format("zstd: {}", ZSTD_getErrorName(r)));
    if (r == 0) break;
  }
  out.resize(ob.pos);
  return out;
}

}  // namespace

std::optional<Compression> parse_compression(std::string_view name) {
  if (name == "xz") return Compression::kXz;
  if (name == "zstd") return Compression::kZstd;
  return std::nullopt;
}

const char* compression_suffix(Compression c) {
  switch (c) {
    case Compression::kXz: return ".xz";
    case Compression::kZstd: return ".zst";
    default: return "";
  }
}

Result<std::vector<uint8_t>> compress(Compression c, std::initializer_list<std::span<const uint8_t>> parts,
                                      const std::string& name) {
  switch (c) {
    case Compression::kXz: return compress_xz(parts, name);
    case Compression::kZstd: return compress_zstd(parts, name);
    default: return make_error(name, kNoOffset, "internal: no compression requested");
  }
}

}  // namespace elfhash::merkle
