#include "elf/target.h"

#include "elf/types.h"

namespace elfhash::elf {
namespace {

constexpr uint32_t SHN_MIPS_SCOMMON = 0xff03, SHN_X86_64_LCOMMON = 0xff02;

// Checked with binutils-multiarch 2.40's strip/objcopy on objects assembled for each target
// (docs/elf-engine.md, "Target rules").
constexpr TargetRules kRules[] = {
    {EM_ARM, "arm", "atdx", true, 0},
    {EM_AARCH64, "aarch64", "xd", false, 0},
    {EM_MIPS, "mips", "", false, SHN_MIPS_SCOMMON},
    {EM_X86_64, "x86_64", "", false, SHN_X86_64_LCOMMON, false},
    {EM_386, "i386", "", false, 0, false},
    {EM_S390, "s390", "", false, 0, true, 8},
};
constexpr TargetRules kGeneric{};

}  // namespace

const TargetRules& target_rules(uint16_t machine) {
  for (const auto& r : kRules)
    if (r.machine == machine) return r;
  return kGeneric;
}

bool is_mapping_symbol(const TargetRules& t, std::string_view name) {
  return name.size() >= 2 && name[0] == '$' && t.mapping_symbol_letters.find(name[1]) != std::string_view::npos &&
         (name.size() == 2 || name[2] == '.');
}

}  // namespace elfhash::elf
