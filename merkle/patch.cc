#include "merkle/patch.h"

#include <fmt/core.h>

#include "elf/atomic_file.h"
#include "merkle/module_hashes.h"

namespace elfhash::merkle {

Result<ModuleHashesSection> find_module_hashes(const elf::ElfFile& elf) {
  std::optional<uint32_t> found;
  for (uint32_t i = 1; i < elf.sections().size(); ++i) {
    if (elf.section_name(i) != kModuleHashesSection) continue;
    uint64_t hdr = elf.header().shoff + uint64_t{i} * elf.header().shentsize;
    if (found)
      return make_error(elf.path(), hdr,
                        fmt::format("second {} section (index {}; first is {})", kModuleHashesSection, i, *found));
    found = i;
  }
  if (!found)
    return make_error(elf.path(), kNoOffset,
                      fmt::format("no {} section (kernel built without CONFIG_MODULE_HASHES?)", kModuleHashesSection));
  const elf::SectionHeader& sh = elf.sections()[*found];
  uint64_t hdr = elf.header().shoff + uint64_t{*found} * elf.header().shentsize;
  if (sh.type == elf::SHT_NOBITS)
    return make_error(elf.path(), hdr, fmt::format("{} is SHT_NOBITS: it has no bytes in the file to patch",
                                                   kModuleHashesSection));
  if (sh.size != kModuleHashesSize)
    return make_error(elf.path(), sh.offset,
                      fmt::format("{} is {} bytes, expected {} (struct module_hashes_root)", kModuleHashesSection,
                                  sh.size, kModuleHashesSize));
  return ModuleHashesSection{*found, sh.offset};
}

Status patch_module_hashes(const elf::ElfFile& elf, std::span<const uint8_t> content, const std::string& out) {
  if (content.size() != kModuleHashesSize)
    return make_error(out, kNoOffset,
                      fmt::format("new contents are {} bytes, expected {}", content.size(), kModuleHashesSize));
  EH_ASSIGN(ModuleHashesSection sec, find_module_hashes(elf));
  const auto& file = elf.file();
  EH_ASSIGN(AtomicFile f, AtomicFile::create(out, file->mode()));
  uint64_t size = elf.bytes().size();
  if (file->fd() >= 0) {
    EH_TRY(f.copy_from(file->fd(), 0, 0, size));
  } else {
    EH_TRY(f.write_at(0, elf.bytes()));  // in-memory input (tests)
  }
  EH_TRY(f.write_at(sec.offset, content));
  EH_TRY(file->check_unchanged());  // the copy above read the file again: it must be the one parsed
  return f.commit();
}

}  // namespace elfhash::merkle
