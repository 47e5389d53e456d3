// What `elfhash inspect` reports about an ELF file (docs/inspect.md): the header, every section, symbol
// and relocation counts, the GNU build-id and the kernel module's .modinfo strings. The CLI only formats.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "elf/error.h"
#include "elf/reader.h"

namespace elfhash::elf {

struct SectionInfo {
  uint32_t index = 0;
  std::string name;  // printable() form
  SectionHeader hdr;
};

// One "key=value" string of .modinfo. Raw bytes, in file order (keys such as alias and parm repeat).
struct ModinfoField {
  std::string key;
  std::string value;
};

struct ElfSummary {
  FileHeader header;
  uint64_t file_size = 0;  // the bytes summarised (the module image when a trailer was cut off)
  std::vector<SectionInfo> sections;  // index 1..n-1 (section 0 is not a section)
  uint32_t segments = 0;
  uint64_t symbols = 0;               // entries of SHT_SYMTAB, the null symbol included (as readelf counts)
  uint64_t dynamic_symbols = 0;       // entries of SHT_DYNSYM
  uint64_t relocations = 0;           // entries over all SHT_REL/SHT_RELA sections
  uint32_t relocation_sections = 0;
  std::optional<std::vector<uint8_t>> build_id;  // NT_GNU_BUILD_ID descriptor
  bool has_modinfo = false;
  std::vector<ModinfoField> modinfo;
};

// Validates the whole file first (elf/validate.h), so a summary is never made of a malformed file.
Result<ElfSummary> summarize(const ElfFile& elf);

// Splits .modinfo contents: NUL-terminated strings, runs of NULs (alignment padding) skipped; a string
// without '=' is a key with an empty value (as kmod's modinfo treats it).
std::vector<ModinfoField> parse_modinfo(std::span<const uint8_t> data);

// The descriptor of the NT_GNU_BUILD_ID note (owner "GNU") in SHT_NOTE contents, or nullopt. A note
// whose sizes run past the section is an error at `base` + its offset.
Result<std::optional<std::vector<uint8_t>>> find_build_id(std::span<const uint8_t> notes, Endian e,
                                                           const std::string& path, uint64_t base);

}  // namespace elfhash::elf
