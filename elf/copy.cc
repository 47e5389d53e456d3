#include "elf/copy.h"

#include <fmt/core.h>

#include <algorithm>

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

Result<OutputPlan> binary_plan(const Object& o, uint64_t pad_to) {
  struct Part {
    uint64_t lma;
    const Section* s;
  };
  std::vector<Part> parts;
  for (auto& s : o.sections)
    if (!s->removed && s->is_alloc() && !s->is_nobits() && s->size() > 0) parts.push_back({o.load_address(*s), s.get()});
  OutputPlan plan;
  if (parts.empty()) return plan;
  uint64_t lo = parts[0].lma, hi = 0;
  for (auto& p : parts) lo = std::min(lo, p.lma);
  for (auto& p : parts) {
    if (p.lma > UINT64_MAX - p.s->size())  // the end would wrap past 2^64
      return make_error(o.input().path(), kNoOffset,
                        fmt::format("-O binary: section {} at {:#x} wraps around the address space", p.s->name, p.lma));
    hi = std::max(hi, p.lma + p.s->size());
  }
  // The address span is attacker-chosen: bounded like any output (docs/threat-model.md).
  if (hi - lo > o.output_limit())
    return make_error(o.input().path(), kNoOffset,
                      fmt::format("-O binary: sections span {:#x} bytes of address space, over the bound of {:#x} "
                                  "(input size + added sections + 64 MiB; docs/threat-model.md)",
                                  hi - lo, o.output_limit()));
  hi = std::max(hi, pad_to);  // binutils --pad-to: the image ends no earlier than that address
  if (hi - lo > (uint64_t{1} << 32))
    return make_error(o.input().path(), kNoOffset,
                      fmt::format("-O binary: sections span {:#x} bytes of address space", hi - lo));
  plan.size = hi - lo;
  const uint8_t* in = o.input().bytes().data();
  for (auto& p : parts) {
    Piece piece{p.lma - lo, p.s->size(), -1, p.s->data};
    if (!p.s->owned && p.s->data.data() >= in && p.s->data.data() < in + o.input().bytes().size())
      piece.in_off = p.s->data.data() - in;  // copied from the input file, range by range
    plan.pieces.push_back(piece);
  }
  return plan;
}

// binutils hands the srec backend each SEC_LOAD section with contents in output section order
// (copy_section); srec_set_section_contents keeps those that are allocated and not empty.
OutputPlan srec_plan(const Object& o, std::string_view header, SrecOptions opt) {
  std::vector<SrecChunk> chunks;
  for (auto& s : o.sections)
    if (!s->removed && s->is_alloc() && !s->is_nobits() && s->size() > 0) chunks.push_back({o.load_address(*s), s->data});
  OutputPlan plan;
  auto& buf = plan.buffers.emplace_back(encode_srec(chunks, header, o.header.entry, opt));
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
  if (job.format == OutputFormat::kBinary) {
    EH_ASSIGN(auto plan, binary_plan(o, job.pad_to));
    return write_plan(plan, *view, job.output, mode, job.fsync);  // checks the input is unchanged
  }
  if (job.format == OutputFormat::kSrec)
    return write_plan(srec_plan(o, job.srec_header, job.srec), *view, job.output, mode, job.fsync);
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
