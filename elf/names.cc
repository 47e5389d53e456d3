#include "elf/names.h"

#include <fmt/core.h>

#include "elf/types.h"

namespace elfhash::elf {
namespace {

std::string hex(uint64_t v) { return fmt::format("{:#x}", v); }
std::string dec(uint64_t v) { return fmt::format("{}", v); }

}  // namespace

// Names in ELF files are arbitrary bytes. Escaping them here keeps the text and JSON outputs printable
// and deterministic; the escape is injective, so escaped names can serve as match keys.
std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string section_type_name(uint32_t t) {
  switch (t) {
    case SHT_NULL: return "SHT_NULL";
    case SHT_PROGBITS: return "SHT_PROGBITS";
    case SHT_SYMTAB: return "SHT_SYMTAB";
    case SHT_STRTAB: return "SHT_STRTAB";
    case SHT_RELA: return "SHT_RELA";
    case SHT_HASH: return "SHT_HASH";
    case SHT_DYNAMIC: return "SHT_DYNAMIC";
    case SHT_NOTE: return "SHT_NOTE";
    case SHT_NOBITS: return "SHT_NOBITS";
    case SHT_REL: return "SHT_REL";
    case SHT_DYNSYM: return "SHT_DYNSYM";
    case SHT_INIT_ARRAY: return "SHT_INIT_ARRAY";
    case SHT_FINI_ARRAY: return "SHT_FINI_ARRAY";
    case SHT_PREINIT_ARRAY: return "SHT_PREINIT_ARRAY";
    case SHT_GROUP: return "SHT_GROUP";
    case SHT_SYMTAB_SHNDX: return "SHT_SYMTAB_SHNDX";
    case SHT_GNU_HASH: return "SHT_GNU_HASH";
    case SHT_GNU_versym: return "SHT_GNU_versym";
    case SHT_GNU_verneed: return "SHT_GNU_verneed";
    case SHT_GNU_verdef: return "SHT_GNU_verdef";
    default: return hex(t);
  }
}

std::string section_flag_letters(uint64_t f) {
  static constexpr struct {
    uint64_t bit;
    char letter;
  } kLetters[] = {{SHF_WRITE, 'W'},  {SHF_ALLOC, 'A'},      {SHF_EXECINSTR, 'X'},
                  {SHF_MERGE, 'M'},  {SHF_STRINGS, 'S'},    {SHF_INFO_LINK, 'I'},
                  {SHF_LINK_ORDER, 'L'}, {SHF_OS_NONCONFORMING, 'O'}, {SHF_GROUP, 'G'},
                  {SHF_TLS, 'T'},    {SHF_COMPRESSED, 'C'}, {SHF_EXCLUDE, 'E'}};
  std::string letters;
  uint64_t rest = f;
  for (const auto& l : kLetters) {
    if (f & l.bit) letters += l.letter;
    rest &= ~l.bit;
  }
  if (rest) letters += fmt::format("+{:#x}", rest);
  return letters;
}

// readelf's flag letters, so the output reads like `readelf -S`.
std::string section_flags(uint64_t f) { return fmt::format("{:#x} ({})", f, section_flag_letters(f)); }

std::string bind_name(uint8_t b) {
  switch (b) {
    case STB_LOCAL: return "LOCAL";
    case STB_GLOBAL: return "GLOBAL";
    case STB_WEAK: return "WEAK";
    case STB_GNU_UNIQUE: return "UNIQUE";
    default: return dec(b);
  }
}

std::string symbol_type_name(uint8_t t) {
  switch (t) {
    case STT_NOTYPE: return "NOTYPE";
    case STT_OBJECT: return "OBJECT";
    case STT_FUNC: return "FUNC";
    case STT_SECTION: return "SECTION";
    case STT_FILE: return "FILE";
    case STT_COMMON: return "COMMON";
    case STT_TLS: return "TLS";
    case STT_GNU_IFUNC: return "IFUNC";
    default: return dec(t);
  }
}

std::string visibility_name(uint8_t other) {
  static constexpr const char* kVis[] = {"DEFAULT", "INTERNAL", "HIDDEN", "PROTECTED"};
  std::string s = kVis[other & 3];
  if (other & ~3u) s += fmt::format(" (st_other {:#x})", other);
  return s;
}

std::string segment_type_name(uint32_t t) {
  switch (t) {
    case PT_NULL: return "PT_NULL";
    case PT_LOAD: return "PT_LOAD";
    case PT_DYNAMIC: return "PT_DYNAMIC";
    case PT_INTERP: return "PT_INTERP";
    case PT_NOTE: return "PT_NOTE";
    case PT_PHDR: return "PT_PHDR";
    case PT_TLS: return "PT_TLS";
    case PT_GNU_EH_FRAME: return "PT_GNU_EH_FRAME";
    case PT_GNU_STACK: return "PT_GNU_STACK";
    case PT_GNU_RELRO: return "PT_GNU_RELRO";
    case PT_GNU_PROPERTY: return "PT_GNU_PROPERTY";
    default: return hex(t);
  }
}

std::string segment_flags(uint32_t f) {
  std::string s;
  s += (f & 4) ? 'R' : '-';
  s += (f & 2) ? 'W' : '-';
  s += (f & 1) ? 'E' : '-';
  if (f & ~7u) s += fmt::format("+{:#x}", f & ~7u);
  return fmt::format("{:#x} ({})", f, s);
}

std::string file_type_name(uint16_t t) {
  switch (t) {
    case 0: return "NONE";
    case ET_REL: return "REL";
    case ET_EXEC: return "EXEC";
    case ET_DYN: return "DYN";
    case 4: return "CORE";
    default: return hex(t);
  }
}

// The architectures Linux builds modules for (elf.h EM_* values); names as `uname -m` spells them.
std::string machine_name(uint16_t m) {
  switch (m) {
    case EM_SPARC: return "sparc";
    case EM_386: return "i386";
    case EM_MIPS: return "mips";
    case EM_PARISC: return "parisc";
    case EM_PPC: return "powerpc";
    case EM_PPC64: return "powerpc64";
    case EM_S390: return "s390";
    case EM_ARM: return "arm";
    case EM_SH: return "sh";
    case EM_SPARCV9: return "sparc64";
    case EM_IA_64: return "ia64";
    case EM_X86_64: return "x86_64";
    case EM_XTENSA: return "xtensa";
    case EM_AARCH64: return "aarch64";
    case EM_RISCV: return "riscv";
    case EM_LOONGARCH: return "loongarch";
    default: return fmt::format("EM_{}", m);
  }
}

}  // namespace elfhash::elf
