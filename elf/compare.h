// ELF-aware semantic comparison of two ELF files (docs/diff.md).
//
// Two files are "equivalent" when they describe the same object: same header, same sections in the
// same order with the same attributes and contents, same symbols, same relocations, same segments and
// loaded bytes, and the same module signature / Merkle trailer. Pure file-layout choices are ignored:
// sh_offset, e_shoff, padding between sections, the order of strings inside string tables (names are
// compared as strings), and the numbering of sections and symbols (references are compared by the name
// of what they point at). This is the yardstick for "elfhash strip produces the same object as GNU
// strip" and the tool a reproducible-builds investigator uses when two builds of a module differ.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "elf/error.h"
#include "elf/reader.h"

namespace elfhash::elf {

enum class DiffCategory : uint8_t { kHeader, kSection, kSymbol, kRelocation, kSegment, kTrailer };
inline constexpr int kDiffCategoryCount = 6;

// "header", "section", "symbol", "relocation", "segment", "trailer".
std::string_view category_name(DiffCategory c);

// One difference. `key` names the thing (a section label such as ".text" or ".group#1" for the second
// section of that name, "foo [12]" for symbol 12 named foo, ".rela.text [7]" for relocation 7, "[2]
// PT_LOAD" for program header 2, "module_signature" for the trailer); `field` names what differs ("sh_flags", "st_value", "contents",
// "presence", ...). Values are rendered as printable text, "(absent)" when one side lacks the thing.
// For content differences `offset` is the first differing byte, relative to the section or segment.
struct Difference {
  DiffCategory category = DiffCategory::kHeader;
  std::string key;
  std::string field;
  std::string a;
  std::string b;
  uint64_t offset = kNoOffset;
};

struct CompareOptions {
  // Still cuts each file at its trailer, so a signed module compares equal to its unsigned ELF part.
  bool ignore_trailer = false;
  // Stop after this many differences (0: no limit). The verdict is already known at the first one.
  size_t max_differences = 100;
};

struct Comparison {
  std::vector<Difference> differences;
  bool truncated = false;       // comparison stopped at max_differences
  bool byte_identical = false;  // the ELF parts (everything before any trailer) are equal bytes
  uint64_t elf_size_a = 0, elf_size_b = 0;

  bool equivalent() const { return differences.empty(); }
};

// Compares a with b. Errors (malformed symbol or relocation tables) carry the offending file and
// offset; a difference is never an error.
Result<Comparison> compare_elf(const ElfFile& a, const ElfFile& b, const CompareOptions& opts = {});

// Framing of an appended module signature or Merkle proof (spec §3.1, §3.2, checked as in §7.2 steps
// 2-3): ELF image, sig_len payload bytes, 12-byte struct module_signature, 28-byte marker.
struct TrailerFrame {
  uint64_t elf_size = 0;  // bytes before the payload: the module image the kernel hashes or verifies
  uint8_t id_type = 0;    // 2 PKCS#7, 3 Merkle proof
  uint32_t sig_len = 0;   // payload length
};

// The trailer at the end of `file`, if the marker is there and the framing is consistent (the checks
// mod_verify_sig()/mod_check_sig() make on the lengths). Parsed here rather than in merkle/ so that
// elf/ does not depend on merkle/.
std::optional<TrailerFrame> find_trailer(std::span<const uint8_t> file);

// "PKCS#7", "Merkle", or the number.
std::string trailer_type_name(uint8_t id_type);

}  // namespace elfhash::elf
