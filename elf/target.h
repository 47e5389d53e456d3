// Per-machine rules of GNU binutils 2.40 that change objcopy/strip output, in one table
// (elf/target.cc; docs/elf-engine.md "Target rules" says where in BFD each comes from and how it
// was checked against binutils-multiarch). Everything not listed behaves the same on every target.
#pragma once

#include <cstdint>
#include <string_view>

namespace elfhash::elf {

struct TargetRules {
  uint16_t machine = 0;
  const char* name = "generic";
  // Letters c such that "$c" and "$c.<anything>" are mapping symbols, which GNU strip keeps even
  // with --strip-unneeded (ARM: $a $t $d $x; AArch64: $x $d). Empty: none.
  std::string_view mapping_symbol_letters;
  // An OS- or processor-specific section (sh_type >= SHT_LOOS) linked to a table binutils
  // regenerates keeps that link (elf32-arm's copy_special_section_fields finds the output section);
  // every other BFD backend writes sh_link 0.
  bool keeps_special_links = false;
  // Reserved section indices that are common sections for this machine besides SHN_COMMON
  // (BFD gives them SEC_IS_COMMON: MIPS .scommon, x86-64 LARGE_COMMON); 0 = none.
  uint32_t extra_common = 0;
  // BFD's keep_unused_section_symbols (elfxx-x86.h sets it false for i386 and x86-64): whether a
  // copied executable without relocations keeps its section symbols (ops.cc drops_section_symbols).
  bool keeps_unused_section_symbols = true;
  // sh_entsize of SHT_HASH in ELF64 files (BFD's sizeof_hash_entry: 8 on 64-bit s390, else 4).
  uint8_t hash_entry_size64 = 4;
  // BFD's minpagesize (ELF_MINPAGESIZE, else ELF_COMMONPAGESIZE, else ELF_MAXPAGESIZE of the target's
  // elfNN-*.c): a file is demand-paged (D_PAGED, bfd/elfcode.h elf_object_p) only if every loaded
  // section's address and offset agree modulo it. 0: not known here (segment_layout refuses the
  // rewrite that needs it).
  uint32_t min_page_size = 0;
};

const TargetRules& target_rules(uint16_t machine);
// False for a relocation type the machine's BFD backend has no howto for (its rtype_to_howto fails:
// "unsupported relocation type", and objcopy/strip then fail with "bad value"). Machines elfhash
// has no table for accept every type.
bool knows_reloc_type(const TargetRules& t, uint32_t type);
// True for a mapping symbol of the machine (see TargetRules::mapping_symbol_letters).
bool is_mapping_symbol(const TargetRules& t, std::string_view name);

}  // namespace elfhash::elf
