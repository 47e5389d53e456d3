#include "elf/image.h"

#include <fmt/core.h>

#include <algorithm>
#include <tuple>

#include "elf/object.h"

namespace elfhash::elf {
namespace {

// objcopy writes fill bytes 8192 at a time (copy_object), and the text backends keep each write as
// a piece of their own.
constexpr size_t kFillChunk = 8192;

// What --gap-fill and --pad-to append to a section (copy_object): the sections sorted by load
// address, then size, then creation order; with --gap-fill each grows up to the next one's load
// address, with --pad-to the last up to ADDR. In that sorted order, non-empty fills only.
struct Fill {
  size_t sec;
  uint64_t bytes;
};

Result<std::vector<Fill>> fills_of(const ImageInput& in, const ImageOptions& opt) {
  std::vector<Fill> fills;
  if (!opt.gap_fill && opt.pad_to == 0) return fills;
  std::vector<size_t> order(in.sections.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const ImageSection &x = in.sections[a], &y = in.sections[b];
    return std::tie(x.lma, x.size, a) < std::tie(y.lma, y.size, b);
  });
  uint64_t total = 0;
  // Gap fills follow the input's addresses, so they are bounded like any output; the padding is
  // the user's (--pad-to) and only the image's own bounds apply to it.
  auto add = [&](size_t i, uint64_t from, uint64_t to, bool bounded) -> Status {
    if (bounded && to - from > in.limit - std::min(total, in.limit))
      return make_error(in.path, kNoOffset,
                        fmt::format("--gap-fill would add {:#x} bytes after section {}, over the output bound of "
                                    "{:#x} (docs/threat-model.md)",
                                    to - from, in.sections[i].name, in.limit));
    total += to - from;
    fills.push_back({i, to - from});
    return ok_status();
  };
  for (size_t k = 0; opt.gap_fill && k + 1 < order.size(); ++k) {
    const ImageSection& s = in.sections[order[k]];
    const uint64_t start = s.lma + s.size, stop = in.sections[order[k + 1]].lma;
    if (start < stop && start >= s.lma) EH_TRY(add(order[k], start, stop, true));
  }
  if (!order.empty() && opt.pad_to != 0) {
    const ImageSection& s = in.sections[order.back()];
    const uint64_t end = s.lma + s.size;
    if (end < opt.pad_to && end >= s.lma) EH_TRY(add(order.back(), end, opt.pad_to, false));
  }
  return fills;
}

// copy_section's --reverse-bytes for the -I binary section (an ELF input's sections are reversed
// by the operations, elf/ops.h): every N-byte group reversed; a size that is not a multiple of N is
// binutils' fatal error.
Status reverse_bytes(ImageInput& in, unsigned n, OutputPlan& plan) {
  for (ImageSection& s : in.sections) {
    if (s.bytes.size() % n)
      return make_error(in.path, kNoOffset,
                        fmt::format("cannot reverse bytes: length of section {} must be evenly divisible by {}", s.name, n));
    auto& buf = plan.buffers.emplace_back(s.bytes.begin(), s.bytes.end());
    for (size_t i = 0; i < buf.size(); i += n) std::reverse(buf.begin() + i, buf.begin() + i + n);
    s.bytes = buf;
    s.in_off = -1;
  }
  return ok_status();
}

// copy_section's interleave: keep `width` bytes of every `n`, starting at byte `b` of each group
// (groups aligned to the load address); setup_section sizes the section (size + n - 1) / n * width,
// copy_section writes (size + n - 1 - b) / n * width bytes of the compacted buffer (whatever it
// holds there) at load address / n, plus one when the start byte falls before the section.
void interleave(ImageInput& in, const ImageOptions& opt, OutputPlan& plan) {
  const uint64_t n = static_cast<uint64_t>(opt.interleave), b = static_cast<uint64_t>(opt.copy_byte),
                 w = static_cast<uint64_t>(opt.copy_width);
  for (ImageSection& s : in.sections) {
    auto& buf = plan.buffers.emplace_back(s.bytes.begin(), s.bytes.end());
    const uint64_t size = buf.size(), extra = s.lma % n;
    uint64_t from = b - extra + (b < extra ? n : 0), to = 0;
    for (; from < size; from += n)
      for (uint64_t i = 0; i < w && from + i < size; ++i) buf[to++] = buf[from + i];
    const uint64_t written = std::min<uint64_t>(size, (size + n - 1 - b) / n * w);
    s.bytes = std::span<const uint8_t>(buf).first(written);
    s.in_off = -1;
    s.size = (s.size + n - 1) / n * w;
    s.out_lma = s.lma / n + (b < extra ? 1 : 0);
  }
}

Result<OutputPlan> binary(const ImageInput& in, const std::vector<Fill>& fills, const ImageOptions& opt,
                          OutputPlan plan) {
  std::vector<uint64_t> fill(in.sections.size(), 0);
  for (const Fill& f : fills) fill[f.sec] += f.bytes;
  bool any = false;
  uint64_t lo = 0, hi = 0;
  for (size_t i = 0; i < in.sections.size(); ++i) {
    const ImageSection& s = in.sections[i];
    const uint64_t len = std::max<uint64_t>(s.size, s.bytes.size()) + fill[i];
    if (len == 0) continue;
    if (s.out_lma > UINT64_MAX - len)  // the end would wrap past 2^64
      return make_error(in.path, kNoOffset,
                        fmt::format("-O binary: section {} at {:#x} wraps around the address space", s.name, s.out_lma));
    lo = any ? std::min(lo, s.out_lma) : s.out_lma;
    hi = std::max(hi, s.out_lma + len);
    any = true;
  }
  if (!any) return plan;
  // The address span is attacker-chosen: bounded like any output (docs/threat-model.md); --pad-to
  // is the user's and only bounded by what an image can be.
  if (hi - lo > in.limit + (opt.pad_to > lo ? opt.pad_to - lo : 0))
    return make_error(in.path, kNoOffset,
                      fmt::format("-O binary: sections span {:#x} bytes of address space, over the bound of {:#x} "
                                  "(input size + added sections + 64 MiB; docs/threat-model.md)",
                                  hi - lo, in.limit));
  if (hi - lo > (uint64_t{1} << 32))
    return make_error(in.path, kNoOffset, fmt::format("-O binary: sections span {:#x} bytes of address space", hi - lo));
  plan.size = hi - lo;
  std::span<const uint8_t> fill_buf;
  if (opt.gap_fill && *opt.gap_fill != 0) fill_buf = plan.buffers.emplace_back(kFillChunk, *opt.gap_fill);
  for (size_t i = 0; i < in.sections.size(); ++i) {
    const ImageSection& s = in.sections[i];
    if (!s.bytes.empty()) plan.pieces.push_back(Piece{s.out_lma - lo, s.bytes.size(), s.in_off, s.bytes});
    // Zero fill needs no piece: the output's bytes outside every piece are zeros.
    for (uint64_t done = 0; !fill_buf.empty() && done < fill[i]; done += kFillChunk) {
      const uint64_t n = std::min<uint64_t>(kFillChunk, fill[i] - done);
      plan.pieces.push_back(Piece{s.out_lma - lo + s.size + done, n, -1, fill_buf.first(n)});
    }
  }
  return plan;
}

// The pieces objcopy hands the text backends: each section's contents in output order
// (copy_section), then the fills in load-address order, 8192 bytes at a time.
std::vector<SrecChunk> text_chunks(const ImageInput& in, const std::vector<Fill>& fills, const ImageOptions& opt,
                                   OutputPlan& plan) {
  std::vector<SrecChunk> chunks;
  for (const ImageSection& s : in.sections) chunks.push_back({s.out_lma, s.bytes});
  if (fills.empty()) return chunks;
  std::span<const uint8_t> fill_buf = plan.buffers.emplace_back(kFillChunk, opt.gap_fill.value_or(0));
  for (const Fill& f : fills) {
    const ImageSection& s = in.sections[f.sec];
    for (uint64_t done = 0; done < f.bytes; done += kFillChunk)
      chunks.push_back({s.out_lma + s.size + done, fill_buf.first(std::min<uint64_t>(kFillChunk, f.bytes - done))});
  }
  return chunks;
}

}  // namespace

ImageInput object_image(const Object& o) {
  ImageInput in;
  const std::span<const uint8_t> file = o.input().bytes();
  for (const auto& s : o.sections) {
    if (s->removed || !s->is_alloc() || s->is_nobits()) continue;
    ImageSection x{s->name, o.load_address(*s), s->size(), 0, s->data, -1};
    x.out_lma = x.lma;
    if (!s->owned && !s->data.empty() && s->data.data() >= file.data() && s->data.data() < file.data() + file.size())
      x.in_off = s->data.data() - file.data();  // copied from the input file, range by range
    in.sections.push_back(x);
  }
  in.start = o.header.entry;
  in.little_endian = o.input().endian() == Endian::kLittle;
  in.path = o.input().path();
  in.limit = o.output_limit();
  return in;
}

ImageInput binary_input_image(std::span<const uint8_t> bytes, std::string path, int64_t in_off) {
  ImageInput in;
  in.sections.push_back(ImageSection{".data", 0, bytes.size(), 0, bytes, in_off});
  in.path = std::move(path);
  in.limit = bytes.size() + (uint64_t{64} << 20);
  return in;
}

Result<OutputPlan> image_plan(ImageInput in, OutputFormat format, const ImageOptions& opt) {
  OutputPlan plan;
  if (opt.reverse_bytes) EH_TRY(reverse_bytes(in, opt.reverse_bytes, plan));
  if (opt.copy_byte >= 0) interleave(in, opt, plan);
  EH_ASSIGN(auto fills, fills_of(in, opt));
  if (format == OutputFormat::kBinary) return binary(in, fills, opt, std::move(plan));
  std::vector<SrecChunk> chunks = text_chunks(in, fills, opt, plan);
  std::vector<uint8_t> text;
  if (format == OutputFormat::kSrec) {
    text = encode_srec(chunks, opt.srec_header, in.start, opt.srec);
  } else {
    IhexResult r = format == OutputFormat::kIhex ? encode_ihex(chunks, in.start)
                                                 : encode_verilog(chunks, opt.verilog_width, in.little_endian);
    if (!r.error.empty()) return make_error(in.path, kNoOffset, r.error);
    text = std::move(r.bytes);
  }
  auto& buf = plan.buffers.emplace_back(std::move(text));
  plan.size = buf.size();
  plan.pieces.push_back(Piece{0, buf.size(), -1, buf});
  return plan;
}

}  // namespace elfhash::elf
