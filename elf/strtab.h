// ELF string table builder with the layout GNU binutils (BFD) produces, so rebuilt .strtab/.shstrtab
// are byte-identical to GNU objcopy's: identical strings are stored once; a string that is a proper
// suffix of another stored string shares its bytes (tail merging); the remaining strings are laid out
// in first-insertion order after the leading NUL. Among several strings a suffix could point into, the
// one chosen is the one binutils chooses: strings are ordered by their reversed bytes and each suffix
// is merged into its nearest longer neighbour in that order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace elfhash::elf {

//
// Duplicates are found by the same sort that finds suffixes (equal strings end up adjacent), so
// add() is an append and no hash table is needed.
class StringTable {
 public:
  // Returns a handle for `s` (each call gets its own); "" always maps to offset 0. The bytes `s`
  // points to must stay valid until finalize().
  uint32_t add(std::string_view s);
  // Computes offsets; call once after all adds.
  void finalize();
  uint32_t offset(uint32_t handle) const { return offsets_[handle]; }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<std::string_view> strings_;  // handle -> string (handle 0 = "")
  std::vector<uint32_t> offsets_;
  std::vector<uint8_t> bytes_;
};

}  // namespace elfhash::elf
