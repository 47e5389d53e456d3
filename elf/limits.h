// Resource bounds for everything elfhash writes or allocates from attacker-controlled header values
// (docs/threat-model.md, "Bounded output"). An output may be at most as large as its input, plus the
// bytes the command line adds (--add-section / --update-section files), plus a fixed slack: room for
// the alignment padding and rebuilt tables of real layouts, and for a NOBITS section that gains
// contents (--set-section-flags .bss=alloc,load,contents). Real files stay far below it: an objcopy
// or strip output is never larger than its input by more than a few pages of padding.
#pragma once

#include <cstdint>

namespace elfhash::elf {

inline constexpr uint64_t kOutputSlack = uint64_t{64} << 20;  // 64 MiB
// Files read whole into memory (section contents, modules.order, keys, proofs): regular files only,
// at most this large.
inline constexpr uint64_t kMaxSmallFile = uint64_t{1} << 30;  // 1 GiB

// The most bytes an output (or an in-memory image of it) may have. Saturating: inputs are < 2^62.
inline uint64_t output_limit(uint64_t input_size, uint64_t added_bytes) {
  uint64_t v = input_size + added_bytes;
  return v < input_size || v > UINT64_MAX - kOutputSlack ? UINT64_MAX : v + kOutputSlack;
}

}  // namespace elfhash::elf
