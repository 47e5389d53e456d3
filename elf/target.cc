#include "elf/target.h"

#include "elf/types.h"

namespace elfhash::elf {
namespace {

constexpr uint32_t SHN_MIPS_SCOMMON = 0xff03, SHN_X86_64_LCOMMON = 0xff02;

// Checked with binutils-multiarch 2.40's strip/objcopy on objects assembled for each target
// (docs/elf-engine.md, "Target rules").
// min_page_size from bfd/elf64-x86-64.c, elf32-i386.c, elfnn-aarch64.c, elf32-arm.c, elf32-mips.c and
// elfn32/64-mips.c, elf64-s390.c/elf32-s390.c, elf64-ppc.c/elf32-ppc.c, elfnn-riscv.c,
// elfnn-loongarch.c, elf64-sparc.c, elf64-alpha.c, elf32-m68k.c (2.40).
constexpr TargetRules kRules[] = {
    {EM_ARM, "arm", "atdx", true, 0, true, 4, 0x1000},
    {EM_AARCH64, "aarch64", "xd", false, 0, true, 4, 0x1000},
    {EM_MIPS, "mips", "", false, SHN_MIPS_SCOMMON, true, 4, 0x1000},
    {EM_X86_64, "x86_64", "", false, SHN_X86_64_LCOMMON, false, 4, 0x1000},
    {EM_386, "i386", "", false, 0, false, 4, 0x1000},
    {EM_S390, "s390", "", false, 0, true, 8, 0x1000},
    {EM_PPC64, "ppc64", "", false, 0, true, 4, 0x1000},
    {EM_PPC, "ppc", "", false, 0, true, 4, 0x1000},
    {EM_RISCV, "riscv", "", false, 0, true, 4, 0x1000},
    {EM_LOONGARCH, "loongarch", "", false, 0, true, 4, 0x4000},
    {EM_SPARCV9, "sparcv9", "", false, 0, true, 4, 0x2000},
    {EM_ALPHA, "alpha", "", false, 0, true, 4, 0x2000},
    {EM_68K, "m68k", "", false, 0, true, 4, 0x2000},
};
constexpr TargetRules kGeneric{};

}  // namespace

const TargetRules& target_rules(uint16_t machine) {
  for (const auto& r : kRules)
    if (r.machine == machine) return r;
  return kGeneric;
}

bool knows_reloc_type(const TargetRules& t, uint32_t type) {
  constexpr uint32_t kVtInherit = 250, kVtEntry = 251;  // R_*_GNU_VTINHERIT, R_*_GNU_VTENTRY
  switch (t.machine) {
    case EM_X86_64:  // elf64-x86-64.c: R_X86_64_NONE .. R_X86_64_REX_GOTPCRELX (42), then the two vt ones
      return type <= 42 || type == kVtInherit || type == kVtEntry;
    case EM_386:  // elf32-i386.c elf_i386_rtype_to_howto: 0..R_386_GOTPC, TLS_TPOFF..PC8, TLS_LDO_32..GOT32X
      return type <= 10 || (type >= 14 && type <= 23) || (type >= 32 && type <= 43) || type == kVtInherit ||
             type == kVtEntry;
    default:
      return true;
  }
}

bool is_mapping_symbol(const TargetRules& t, std::string_view name) {
  return name.size() >= 2 && name[0] == '$' && t.mapping_symbol_letters.find(name[1]) != std::string_view::npos &&
         (name.size() == 2 || name[2] == '.');
}

}  // namespace elfhash::elf
