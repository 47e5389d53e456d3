#include "merkle/module_hashes.h"

#include <fmt/core.h>

#include <algorithm>

#include "elf/bytes.h"

namespace elfhash::merkle {

std::array<uint8_t, kModuleHashesSize> encode_module_hashes(const ModuleHashesRoot& r, elf::Endian e) {
  std::array<uint8_t, kModuleHashesSize> out{};
  elf::store<uint32_t>(out.data(), e, r.levels);
  std::copy(r.root.begin(), r.root.end(), out.begin() + 4);
  return out;
}

Result<ModuleHashesRoot> decode_module_hashes(std::span<const uint8_t> bytes, elf::Endian e,
                                              const std::string& name) {
  if (bytes.size() != kModuleHashesSize)
    return make_error(name, kNoOffset,
                      fmt::format("module hashes are {} bytes, expected {} (u32 levels + 32-byte root)",
                                  bytes.size(), kModuleHashesSize));
  ModuleHashesRoot r;
  r.levels = elf::load<uint32_t>(bytes.data(), e);
  std::copy(bytes.begin() + 4, bytes.end(), r.root.begin());
  return r;
}

std::optional<elf::Endian> guess_module_hashes_endian(std::span<const uint8_t> bytes) {
  if (bytes.size() < 4) return std::nullopt;
  if (elf::load<uint32_t>(bytes.data(), elf::Endian::kLittle) <= 32) return elf::Endian::kLittle;
  if (elf::load<uint32_t>(bytes.data(), elf::Endian::kBig) <= 32) return elf::Endian::kBig;
  return std::nullopt;
}

}  // namespace elfhash::merkle

namespace elfhash::merkle {

std::string render_module_hashes_c(const ModuleHashesRoot& r) {
  std::string s =
      "#include <linux/module_hashes.h>\n\n"
      "const struct\n"
      "module_hashes_root module_hashes_root __module_hashes_section = {\n";
  s += fmt::format("\t.levels = {},\n", r.levels);
  s += "\t.hash = {{";
  for (size_t i = 0; i < r.root.size(); ++i) {
    if (i % 8 == 0) s += "\n\t\t";
    s += fmt::format("0x{:02x},", r.root[i]);
    if ((i + 1) % 8 != 0) s += ' ';
  }
  s += "\n\t}},\n};\n";
  return s;
}

}  // namespace elfhash::merkle
