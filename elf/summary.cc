#include "elf/summary.h"

#include <fmt/core.h>

#include <cstring>

#include "elf/bytes.h"
#include "elf/names.h"
#include "elf/validate.h"

namespace elfhash::elf {
namespace {

constexpr uint32_t kNtGnuBuildId = 3;  // elf.h NT_GNU_BUILD_ID

uint64_t align4(uint64_t v) { return (v + 3) & ~uint64_t{3}; }

}  // namespace

std::vector<ModinfoField> parse_modinfo(std::span<const uint8_t> data) {
  std::vector<ModinfoField> out;
  size_t i = 0;
  while (i < data.size()) {
    if (data[i] == 0) {
      ++i;
      continue;
    }
    const void* nul = std::memchr(data.data() + i, 0, data.size() - i);
    size_t end = nul ? static_cast<const uint8_t*>(nul) - data.data() : data.size();
    std::string_view s(reinterpret_cast<const char*>(data.data() + i), end - i);
    size_t eq = s.find('=');
    if (eq == std::string_view::npos) out.push_back({std::string(s), ""});
    else out.push_back({std::string(s.substr(0, eq)), std::string(s.substr(eq + 1))});
    i = end;
  }
  return out;
}

// Note records (namesz, descsz, type, name, desc; name and desc padded to 4 bytes): the layout GNU ld
// emits for .note.gnu.build-id on every architecture.
Result<std::optional<std::vector<uint8_t>>> find_build_id(std::span<const uint8_t> notes, Endian e,
                                                           const std::string& path, uint64_t base) {
  uint64_t off = 0;
  while (notes.size() - off >= 12) {
    const uint8_t* p = notes.data() + off;
    uint64_t namesz = load<uint32_t>(p, e), descsz = load<uint32_t>(p + 4, e);
    uint32_t type = load<uint32_t>(p + 8, e);
    uint64_t name_off = off + 12, desc_off = name_off + align4(namesz);
    if (desc_off > notes.size() || align4(descsz) > notes.size() - desc_off)
      return make_error(path, base + off,
                        fmt::format("note (namesz {}, descsz {}) runs past the end of its section", namesz, descsz));
    if (type == kNtGnuBuildId && namesz == 4 && std::memcmp(notes.data() + name_off, "GNU", 4) == 0)
      return std::optional(std::vector<uint8_t>(notes.begin() + desc_off, notes.begin() + desc_off + descsz));
    off = desc_off + align4(descsz);
  }
  return std::optional<std::vector<uint8_t>>();
}

Result<ElfSummary> summarize(const ElfFile& elf) {
  EH_TRY(validate_tables(elf));
  EH_TRY(validate_relocations(elf));
  ElfSummary s;
  s.header = elf.header();
  s.file_size = elf.bytes().size();
  s.segments = static_cast<uint32_t>(elf.segments().size());
  const auto& sh = elf.sections();
  for (uint32_t i = 1; i < sh.size(); ++i) {
    const SectionHeader& h = sh[i];
    s.sections.push_back({i, printable(elf.section_name(i)), h});
    // validate_tables() checked every entry size, so these divisions count whole entries.
    if (h.type == SHT_SYMTAB) s.symbols += h.size / elf.sym_size();
    if (h.type == SHT_DYNSYM) s.dynamic_symbols += h.size / elf.sym_size();
    if (h.type == SHT_REL || h.type == SHT_RELA) {
      s.relocations += h.size / elf.reloc_codec(h.type == SHT_RELA).entry_size();
      ++s.relocation_sections;
    }
    if (h.type == SHT_NOTE && !s.build_id) {
      EH_ASSIGN(s.build_id, find_build_id(elf.section_data(i), elf.endian(), elf.path(), h.offset));
    }
    if (elf.section_name(i) == ".modinfo" && !s.has_modinfo) {
      s.has_modinfo = true;
      s.modinfo = parse_modinfo(elf.section_data(i));
    }
  }
  return s;
}

}  // namespace elfhash::elf
