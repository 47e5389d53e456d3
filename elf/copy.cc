#include "elf/copy.h"

#include <fmt/core.h>

#include <algorithm>
#include <tuple>
#include <unordered_map>

#include "elf/atomic_file.h"
#include "elf/object.h"
#include "elf/reader.h"
#include "elf/reloc.h"
#include "elf/target.h"
#include "elf/validate.h"
#include "elf/writer.h"

namespace elfhash::elf {
namespace {

// binutils reads the relocations of every section it copies through the target's howto table
// (copy_section, bfd_canonicalize_reloc): one of a type the backend does not know makes it fail
// (binutils' strip-13 test). The relocations of attached sections elfhash writes are checked the same
// way, before anything is written.
Status check_reloc_types(const Object& o) {
  for (const auto& s : o.sections) {
    if (s->removed || !o.is_attached_reloc(*s) || s->info_section == nullptr || s->info_section->removed) continue;
    const RelocCodec codec = o.input().reloc_codec(s->hdr.type == SHT_RELA);
    const size_t es = codec.entry_size();
    for (size_t off = 0; off + es <= s->data.size(); off += es) {
      const uint32_t type = codec.type(s->data.data() + off);
      if (!knows_reloc_type(o.target(), type))
        return make_error(o.input().path(), s->contents_changed ? kNoOffset : s->hdr.offset + off,
                          fmt::format("{}: unsupported relocation type {:#x}", s->name, type));
    }
  }
  return ok_status();
}

Result<Object> load_edited(const ElfFile& elf, const CopyOptions& opt) {
  EH_TRY(validate_tables(elf));
  EH_ASSIGN(auto o, Object::load(elf));
  EH_TRY(dump_sections(o, opt));
  EH_TRY(apply(o, opt));
  // Relocation sections last, and only those that survive the edit (validate.h).
  std::vector<bool> kept(elf.sections().size(), false);
  for (const auto& s : o.sections)
    if (!s->removed && s->in_index != 0) kept[s->in_index] = true;
  EH_TRY(validate_relocations(elf, [&](uint32_t i) { return bool(kept[i]); }));
  EH_TRY(check_reloc_types(o));
  return o;
}

}  // namespace

namespace {

bool loadable(const Section& s) { return !s.removed && s.is_alloc() && !s.is_nobits(); }

// What objcopy appends to the loadable sections with --gap-fill and --pad-to (copy_object): it sorts
// them by load address, then size, then creation order; with --gap-fill each one grows up to the
// next one's load address, and with --pad-to the last one grows up to ADDR, the new bytes being the
// fill byte (0 without --gap-fill). Returned in that sorted order, non-empty fills only. The total
// is bounded like any output (docs/threat-model.md).
struct Fill {
  const Section* s;
  uint64_t lma, bytes;
};
Result<std::vector<Fill>> image_fills(const Object& o, const ImageOptions& img) {
  std::vector<Fill> fills;
  if (!img.gap_fill && img.pad_to == 0) return fills;
  struct Sorted {
    const Section* s;
    uint64_t lma, size;
    size_t id;
  };
  std::vector<Sorted> v;
  for (size_t i = 0; i < o.sections.size(); ++i)
    if (loadable(*o.sections[i])) v.push_back({o.sections[i].get(), o.load_address(*o.sections[i]), o.sections[i]->size(), i});
  std::sort(v.begin(), v.end(), [](const Sorted& a, const Sorted& b) {
    return std::tie(a.lma, a.size, a.id) < std::tie(b.lma, b.size, b.id);
  });
  uint64_t total = 0;
  auto add = [&](const Sorted& x, uint64_t from, uint64_t to) -> Status {
    if (to - from > o.output_limit() - std::min(total, o.output_limit()))
      return make_error(o.input().path(), kNoOffset,
                        fmt::format("{} would add {:#x} bytes after section {}, over the output bound of {:#x} "
                                    "(docs/threat-model.md)",
                                    img.gap_fill ? "--gap-fill" : "--pad-to", to - from, x.s->name, o.output_limit()));
    total += to - from;
    fills.push_back({x.s, x.lma, to - from});
    return ok_status();
  };
  for (size_t i = 0; img.gap_fill && i + 1 < v.size(); ++i) {
    const uint64_t start = v[i].lma + v[i].size, stop = v[i + 1].lma;
    if (start < stop && start >= v[i].lma) EH_TRY(add(v[i], start, stop));
  }
  if (!v.empty() && img.pad_to != 0) {
    const Sorted& last = v.back();
    const uint64_t end = last.lma + last.size;
    if (end < img.pad_to && end >= last.lma) EH_TRY(add(last, end, img.pad_to));
  }
  return fills;
}

// The fill bytes of one section, as pieces of one shared buffer (objcopy writes them 8192 at a time).
constexpr size_t kFillChunk = 8192;

}  // namespace

Result<OutputPlan> binary_plan(const Object& o, const ImageOptions& img) {
  EH_ASSIGN(auto fills, image_fills(o, img));
  std::unordered_map<const Section*, uint64_t> fill_of;
  for (const Fill& f : fills) fill_of[f.s] += f.bytes;
  struct Part {
    uint64_t lma;
    const Section* s;
    uint64_t fill;
  };
  std::vector<Part> parts;
  for (auto& s : o.sections) {
    if (!loadable(*s)) continue;
    auto it = fill_of.find(s.get());
    const uint64_t fill = it == fill_of.end() ? 0 : it->second;
    if (s->size() + fill > 0) parts.push_back({o.load_address(*s), s.get(), fill});
  }
  OutputPlan plan;
  if (parts.empty()) return plan;
  uint64_t lo = parts[0].lma, hi = 0;
  for (auto& p : parts) lo = std::min(lo, p.lma);
  for (auto& p : parts) {
    if (p.lma > UINT64_MAX - p.s->size() - p.fill)  // the end would wrap past 2^64
      return make_error(o.input().path(), kNoOffset,
                        fmt::format("-O binary: section {} at {:#x} wraps around the address space", p.s->name, p.lma));
    hi = std::max(hi, p.lma + p.s->size() + p.fill);
  }
  // The address span is attacker-chosen: bounded like any output (docs/threat-model.md); --pad-to
  // is the user's and only bounded by what an image can be.
  if (hi - lo > o.output_limit() + (img.pad_to > lo ? img.pad_to - lo : 0))
    return make_error(o.input().path(), kNoOffset,
                      fmt::format("-O binary: sections span {:#x} bytes of address space, over the bound of {:#x} "
                                  "(input size + added sections + 64 MiB; docs/threat-model.md)",
                                  hi - lo, o.output_limit()));
  if (hi - lo > (uint64_t{1} << 32))
    return make_error(o.input().path(), kNoOffset,
                      fmt::format("-O binary: sections span {:#x} bytes of address space", hi - lo));
  plan.size = hi - lo;
  const uint8_t* in = o.input().bytes().data();
  std::span<const uint8_t> fill_buf;
  if (img.gap_fill && *img.gap_fill != 0) fill_buf = plan.buffers.emplace_back(kFillChunk, *img.gap_fill);
  for (auto& p : parts) {
    Piece piece{p.lma - lo, p.s->size(), -1, p.s->data};
    if (!p.s->owned && p.s->data.data() >= in && p.s->data.data() < in + o.input().bytes().size())
      piece.in_off = p.s->data.data() - in;  // copied from the input file, range by range
    if (piece.size) plan.pieces.push_back(piece);
    // Zero fill needs no piece: the output's bytes outside every piece are zeros.
    for (uint64_t done = 0; !fill_buf.empty() && done < p.fill; done += kFillChunk) {
      const uint64_t n = std::min<uint64_t>(kFillChunk, p.fill - done);
      plan.pieces.push_back(Piece{p.lma - lo + p.s->size() + done, n, -1, fill_buf.first(n)});
    }
  }
  return plan;
}

// The chunks objcopy hands the srec and ihex backends: each allocated section's contents in output
// section order (copy_section), then the fill bytes of each section in load-address order, 8192 at
// a time; the backends drop empty ones.
Result<std::vector<SrecChunk>> text_image_chunks(const Object& o, const ImageOptions& img, OutputPlan& plan) {
  EH_ASSIGN(auto fills, image_fills(o, img));
  std::vector<SrecChunk> chunks;
  for (auto& s : o.sections)
    if (loadable(*s)) chunks.push_back({o.load_address(*s), s->data});
  if (fills.empty()) return chunks;
  std::span<const uint8_t> fill_buf = plan.buffers.emplace_back(kFillChunk, img.gap_fill.value_or(0));
  for (const Fill& f : fills)
    for (uint64_t done = 0; done < f.bytes; done += kFillChunk)
      chunks.push_back({f.lma + f.s->size() + done, fill_buf.first(std::min<uint64_t>(kFillChunk, f.bytes - done))});
  return chunks;
}

Result<OutputPlan> srec_plan(const Object& o, std::string_view header, SrecOptions opt, const ImageOptions& img) {
  OutputPlan plan;
  EH_ASSIGN(auto chunks, text_image_chunks(o, img, plan));
  auto& buf = plan.buffers.emplace_back(encode_srec(chunks, header, o.header.entry, opt));
  plan.size = buf.size();
  plan.pieces.push_back(Piece{0, buf.size(), -1, buf});
  return plan;
}

Result<OutputPlan> verilog_plan(const Object& o, const ImageOptions& img, unsigned width) {
  OutputPlan plan;
  EH_ASSIGN(auto chunks, text_image_chunks(o, img, plan));
  // objcopy sets the words' byte order from the input's (copy_object: VerilogDataEndianness).
  IhexResult r = encode_verilog(chunks, width, o.input().endian() == Endian::kLittle);
  if (!r.error.empty()) return make_error(o.input().path(), kNoOffset, r.error);
  auto& buf = plan.buffers.emplace_back(std::move(r.bytes));
  plan.size = buf.size();
  plan.pieces.push_back(Piece{0, buf.size(), -1, buf});
  return plan;
}

Result<OutputPlan> ihex_plan(const Object& o, const ImageOptions& img) {
  OutputPlan plan;
  EH_ASSIGN(auto chunks, text_image_chunks(o, img, plan));
  IhexResult r = encode_ihex(chunks, o.header.entry);
  if (!r.error.empty()) return make_error(o.input().path(), kNoOffset, r.error);
  auto& buf = plan.buffers.emplace_back(std::move(r.bytes));
  plan.size = buf.size();
  plan.pieces.push_back(Piece{0, buf.size(), -1, buf});
  return plan;
}

namespace {

Status copy_file(const CopyJob& job, const CopyOptions& opt) {
  std::optional<ElfFile> own;
  if (!job.parsed) {
    EH_ASSIGN(auto e, ElfFile::parse(job.image_size == job.input->bytes().size()
                                         ? job.input
                                         : MappedFile::prefix(job.input, job.image_size)));
    own = std::move(e);
  }
  const ElfFile& elf = job.parsed ? *job.parsed : *own;
  const std::shared_ptr<MappedFile>& view = elf.file();
  EH_ASSIGN(auto o, load_edited(elf, opt));
  // Like GNU objcopy, executables and shared objects come out executable wherever they are readable,
  // -O binary images included (binutils copies the input's mode and BFD makes EXEC_P/DYNAMIC
  // outputs executable).
  uint32_t mode = job.mode;
  if (o.header.type == ET_EXEC || o.header.type == ET_DYN) mode |= (mode & 0444) >> 2;
  if (job.format != OutputFormat::kElf) {
    Result<OutputPlan> plan = job.format == OutputFormat::kBinary ? binary_plan(o, job.image)
                              : job.format == OutputFormat::kSrec ? srec_plan(o, job.srec_header, job.srec, job.image)
                              : job.format == OutputFormat::kIhex ? ihex_plan(o, job.image)
                                                                  : verilog_plan(o, job.image, job.verilog_width);
    if (!plan) return plan.error();
    return write_plan(*plan, *view, job.output, mode, job.fsync);  // checks the input is unchanged
  }
  EH_TRY(check_addresses_kept(o));
  EH_ASSIGN(auto plan, plan_output(o));
  return write_plan(plan, *view, job.output, mode, job.fsync);
}

}  // namespace

Status run_copy(const CopyJob& job, const CopyOptions& opt) {
  Status st = copy_file(job, opt);
  // Bytes that changed (or vanished: zero pages, elf/mapped_file.h) while being parsed make any error:
  // the change is what to report.
  if (!st.ok())
    if (Status changed = job.input->check_unchanged(); !changed.ok()) return changed;
  return st;
}

Result<std::vector<uint8_t>> copy_to_memory(std::span<const uint8_t> elf_bytes, const std::string& name,
                                            const CopyOptions& opt) {
  EH_ASSIGN(auto elf, ElfFile::parse(MappedFile::from_memory(elf_bytes, name)));
  EH_ASSIGN(auto o, load_edited(elf, opt));
  EH_TRY(check_addresses_kept(o));
  EH_ASSIGN(auto plan, plan_output(o));
  return render(plan, elf_bytes);
}

}  // namespace elfhash::elf
