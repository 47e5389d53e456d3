// Merging of GNU build-attribute notes (the `.gnu.build.attributes` sections annobin and
// `as --generate-missing-build-notes` write), as binutils 2.40's objcopy/strip do it with -M (strip's
// default): docs/formats.md, "GNU build-attribute notes", describes the note format and the merge
// rules, and which binutils function each rule comes from (binutils/objcopy.c
// merge_gnu_build_notes).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "elf/types.h"

namespace elfhash::elf {

struct NotesMerge {
  // The merged section contents, or nullopt when binutils leaves the section as it is (the notes
  // are not version 3, or merging would not make them smaller).
  std::optional<std::vector<uint8_t>> merged;
  // Set when binutils rejects the notes ("corrupt GNU build attribute note: ..."); offset is the
  // byte in the section where the bad note starts.
  std::string error;
  uint64_t error_offset = 0;
};

NotesMerge merge_build_notes(std::span<const uint8_t> contents, Endian endian, bool is64);

}  // namespace elfhash::elf
