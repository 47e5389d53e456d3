#include "elf/copy.h"

#include <fmt/core.h>

#include <algorithm>

#include "elf/atomic_file.h"
#include "elf/binary_object.h"
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

// objcopy -I binary: the input's bytes are one section. An image is written from it directly; an
// ELF file goes through the ordinary copy of the object binutils' binary backend presents.
Status copy_binary_input(const CopyJob& job, const CopyOptions& opt) {
  const std::span<const uint8_t> bytes = job.input->bytes().first(job.image_size);
  if (job.format != OutputFormat::kElf) {
    EH_ASSIGN(auto plan, image_plan(binary_input_image(bytes, job.input->path(), 0), job.format, job.image));
    return write_plan(plan, *job.input, job.output, job.mode, job.fsync);
  }
  EH_ASSIGN(auto object, binary_as_object(bytes, job.input->path(), job.binary_target, job.binary_arch));
  EH_ASSIGN(auto elf, ElfFile::parse(MappedFile::from_memory(object, job.input->path())));
  EH_ASSIGN(auto o, load_edited(elf, opt));
  EH_TRY(check_addresses_kept(o));
  EH_ASSIGN(auto plan, plan_output(o));
  EH_TRY(job.input->check_unchanged());
  return write_plan(plan, *elf.file(), job.output, job.mode, job.fsync);
}

Status copy_file(const CopyJob& job, const CopyOptions& opt) {
  if (job.binary_input) return copy_binary_input(job, opt);
  std::optional<ElfFile> own;
  if (!job.parsed) {
    EH_ASSIGN(auto e, ElfFile::parse(job.image_size == job.input->bytes().size()
                                         ? job.input
                                         : MappedFile::prefix(job.input, job.image_size)));
    own = std::move(e);
  }
  const ElfFile& elf = job.parsed ? *job.parsed : *own;
  const std::shared_ptr<MappedFile>& view = elf.file();
  // Like GNU objcopy, executables and shared objects come out executable wherever they are readable,
  // -O binary images included (binutils copies the input's mode and BFD makes EXEC_P/DYNAMIC
  // outputs executable).
  uint32_t mode = job.mode;
  if (elf.header().type == ET_EXEC || elf.header().type == ET_DYN) mode |= (mode & 0444) >> 2;
  // A large linked file's allocated sections go to the output while the edit is loaded, the rest of
  // its unchanged bytes while it is planned (EarlyCopy; --only-keep-debug empties those sections).
  std::unique_ptr<EarlyCopy> early;
  if (job.format == OutputFormat::kElf && opt.strip != StripMode::kNonDebug) {
    early = EarlyCopy::create(*view, job.output, mode, job.fsync);
    if (early) early->add(in_place_ranges(elf));
  }
  EH_ASSIGN(auto o, load_edited(elf, opt));
  if (job.format != OutputFormat::kElf) {
    EH_ASSIGN(auto plan, image_plan(object_image(o), job.format, job.image));
    return write_plan(plan, *view, job.output, mode, job.fsync);  // checks the input is unchanged
  }
  EH_TRY(check_addresses_kept(o));
  EH_ASSIGN(auto plan, plan_output(o, early.get()));
  return write_plan(plan, *view, job.output, mode, job.fsync, early.get());
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

Result<std::vector<uint8_t>> image_to_memory(std::span<const uint8_t> bytes, const std::string& name,
                                             const CopyOptions& opt, OutputFormat format, const ImageOptions& img,
                                             bool binary_input, uint64_t limit) {
  auto bounded = [&](ImageInput in) {
    if (limit) in.limit = std::min(in.limit, limit);
    return in;
  };
  if (binary_input) {
    EH_ASSIGN(auto plan, image_plan(bounded(binary_input_image(bytes, name, -1)), format, img));
    return render(plan, bytes);
  }
  EH_ASSIGN(auto elf, ElfFile::parse(MappedFile::from_memory(bytes, name)));
  EH_ASSIGN(auto o, load_edited(elf, opt));
  EH_ASSIGN(auto plan, image_plan(bounded(object_image(o)), format, img));
  return render(plan, bytes);
}

}  // namespace elfhash::elf
