#include "elf/validate.h"

#include <fmt/core.h>

namespace elfhash::elf {
namespace {

// Bounds on attacker-controlled values that the layout would otherwise trust (docs/threat-model.md).
// No toolchain emits an alignment above 4 GiB (ELF32 cannot even express one); honouring a larger
// power of two would make the writer pad the output to an absurd size.
constexpr uint64_t kMaxAlign = uint64_t{1} << 32;

}  // namespace

// The reader validates headers and section ranges at parse time but decodes symbol, relocation and
// group tables lazily. Object::load reads only what the edit needs and copies the rest as bytes, so a
// corrupt table the edit does not touch would pass through to the output: decode them all first
// (linear in the file size) so that every command refuses the same malformed inputs as the reader.
Status validate_tables(const ElfFile& elf) {
  const auto& sh = elf.sections();
  // Symbol tables first (names included): relocations and groups refer into them.
  for (uint32_t i = 1; i < sh.size(); ++i)
    if (sh[i].type == SHT_SYMTAB || sh[i].type == SHT_DYNSYM) EH_TRY(elf.symbol_names(i));
  for (uint32_t i = 1; i < sh.size(); ++i)
    if (sh[i].type == SHT_GROUP) EH_TRY(elf.group(i));
  for (uint32_t i = 1; i < sh.size(); ++i)
    if (sh[i].addralign > kMaxAlign)
      return make_error(elf.path(), elf.shdr_offset(i),
                        fmt::format("section {} sh_addralign {:#x} is absurd (over 4 GiB), refusing to align "
                                    "the output to it",
                                    i, sh[i].addralign));
  return ok_status();
}

Status validate_relocations(const ElfFile& elf, const std::function<bool(uint32_t)>& wanted) {
  const auto& sh = elf.sections();
  for (uint32_t i = 1; i < sh.size(); ++i)
    if ((sh[i].type == SHT_REL || sh[i].type == SHT_RELA) && (!wanted || wanted(i)))
      EH_TRY(elf.check_relocations(i));
  return ok_status();
}

}  // namespace elfhash::elf
