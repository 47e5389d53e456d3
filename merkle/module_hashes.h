// The 36-byte contents of vmlinux's .module_hashes section, struct module_hashes_root (spec §4.1):
// u32 levels in the target's byte order, then the 32-byte root. No padding.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "elf/error.h"
#include "elf/types.h"
#include "merkle/sha256.h"

namespace elfhash::merkle {

inline constexpr size_t kModuleHashesSize = 36;
inline constexpr const char* kModuleHashesSection = ".module_hashes";

struct ModuleHashesRoot {
  uint32_t levels = 0;
  Hash root = {};
  bool operator==(const ModuleHashesRoot&) const = default;
};

std::array<uint8_t, kModuleHashesSize> encode_module_hashes(const ModuleHashesRoot& r, elf::Endian e);
Result<ModuleHashesRoot> decode_module_hashes(std::span<const uint8_t> bytes, elf::Endian e,
                                              const std::string& name);

// For a bare 36-byte file whose byte order is unknown: a real tree never has more than 32 levels
// (positions are be32), and 1..32 reads as a value above 2^24 in the other order, so the order is
// unambiguous; 0 reads the same both ways. Returns nullopt when neither order gives levels <= 32.
std::optional<elf::Endian> guess_module_hashes_endian(std::span<const uint8_t> bytes);

}  // namespace elfhash::merkle

namespace elfhash::merkle {

// The C file the kernel's scripts/modules-merkle-tree writes (spec §4.3 item 1), byte for byte: the
// struct module_hashes_root initialiser with `.levels = N,` and the root as 4 rows of 8 "0xNN," bytes.
std::string render_module_hashes_c(const ModuleHashesRoot& r);

}  // namespace elfhash::merkle
