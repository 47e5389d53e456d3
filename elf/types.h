// Plain ELF constants and in-memory (host-order, width-independent) records. The reader decodes
// ELF32/ELF64 in either byte order into these; the writer encodes them back.
#pragma once

#include <cstdint>

namespace elfhash::elf {

enum class Class : uint8_t { k32 = 1, k64 = 2 };
enum class Endian : uint8_t { kLittle = 1, kBig = 2 };

// e_ident / header
inline constexpr uint8_t kMagic[4] = {0x7f, 'E', 'L', 'F'};
inline constexpr uint16_t ET_REL = 1, ET_EXEC = 2, ET_DYN = 3;
// Machines (e_machine) Linux builds modules for; elf/names.cc machine_name() gives their names and
// elf/target.h the per-machine rules. Values from the gABI registry (glibc elf.h).
inline constexpr uint16_t EM_SPARC = 2, EM_386 = 3, EM_MIPS = 8, EM_PARISC = 15, EM_PPC = 20, EM_PPC64 = 21,
                          EM_S390 = 22, EM_ARM = 40, EM_SH = 42, EM_SPARCV9 = 43, EM_IA_64 = 50,
                          EM_X86_64 = 62, EM_XTENSA = 94, EM_AARCH64 = 183, EM_RISCV = 243,
                          EM_LOONGARCH = 258, EM_68K = 4, EM_ALPHA = 0x9026;

// Special section indices.
inline constexpr uint32_t SHN_UNDEF = 0;
inline constexpr uint32_t SHN_LORESERVE = 0xff00;
inline constexpr uint32_t SHN_ABS = 0xfff1;
inline constexpr uint32_t SHN_COMMON = 0xfff2;
inline constexpr uint32_t SHN_XINDEX = 0xffff;

// Section types.
inline constexpr uint32_t SHT_NULL = 0, SHT_PROGBITS = 1, SHT_SYMTAB = 2, SHT_STRTAB = 3, SHT_RELA = 4,
                          SHT_HASH = 5, SHT_DYNAMIC = 6, SHT_NOTE = 7, SHT_NOBITS = 8, SHT_REL = 9,
                          SHT_DYNSYM = 11, SHT_INIT_ARRAY = 14, SHT_FINI_ARRAY = 15,
                          SHT_PREINIT_ARRAY = 16, SHT_GROUP = 17, SHT_SYMTAB_SHNDX = 18,
                          SHT_GNU_HASH = 0x6ffffff6, SHT_GNU_versym = 0x6fffffff,
                          SHT_GNU_verneed = 0x6ffffffe, SHT_GNU_verdef = 0x6ffffffd,
                          SHT_CREL = 0x40000014,  // compact relocations (LLVM 19+): LEB128 symbol indices
                          SHT_LOOS = 0x60000000, SHT_LOPROC = 0x70000000;

// Section flags.
inline constexpr uint64_t SHF_WRITE = 0x1, SHF_ALLOC = 0x2, SHF_EXECINSTR = 0x4, SHF_MERGE = 0x10,
                          SHF_STRINGS = 0x20, SHF_INFO_LINK = 0x40, SHF_LINK_ORDER = 0x80,
                          SHF_OS_NONCONFORMING = 0x100, SHF_GROUP = 0x200, SHF_TLS = 0x400,
                          SHF_COMPRESSED = 0x800, SHF_EXCLUDE = 0x80000000;

inline constexpr uint32_t GRP_COMDAT = 1;

// Program header types.
inline constexpr uint32_t PT_NULL = 0, PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3, PT_NOTE = 4,
                          PT_PHDR = 6, PT_TLS = 7, PT_GNU_EH_FRAME = 0x6474e550, PT_GNU_STACK = 0x6474e551,
                          PT_GNU_RELRO = 0x6474e552, PT_GNU_PROPERTY = 0x6474e553, PT_GNU_SFRAME = 0x6474e554,
                          PT_GNU_MBIND_LO = 0x6474e555, PT_GNU_MBIND_HI = PT_GNU_MBIND_LO + 4095;

// Symbols.
inline constexpr uint8_t STB_LOCAL = 0, STB_GLOBAL = 1, STB_WEAK = 2, STB_GNU_UNIQUE = 10;
inline constexpr uint8_t STT_NOTYPE = 0, STT_OBJECT = 1, STT_FUNC = 2, STT_SECTION = 3, STT_FILE = 4,
                         STT_COMMON = 5, STT_TLS = 6, STT_GNU_IFUNC = 10;
inline constexpr uint8_t STV_DEFAULT = 0, STV_INTERNAL = 1, STV_HIDDEN = 2, STV_PROTECTED = 3;

inline uint8_t st_bind(uint8_t info) { return info >> 4; }
inline uint8_t st_type(uint8_t info) { return info & 0xf; }
inline uint8_t st_info(uint8_t bind, uint8_t type) { return static_cast<uint8_t>((bind << 4) | (type & 0xf)); }

struct FileHeader {
  uint8_t ident[16] = {};
  uint16_t type = 0, machine = 0;
  uint32_t version = 0;
  uint64_t entry = 0, phoff = 0, shoff = 0;
  uint32_t flags = 0;
  uint16_t ehsize = 0, phentsize = 0, shentsize = 0;
  // Real counts after extended numbering (section 0's sh_size/sh_link/sh_info) is resolved.
  uint32_t phnum = 0, shnum = 0, shstrndx = 0;
};

struct SectionHeader {
  uint32_t name = 0, type = 0;
  uint64_t flags = 0, addr = 0, offset = 0, size = 0;
  uint32_t link = 0, info = 0;
  uint64_t addralign = 0, entsize = 0;
};

struct ProgramHeader {
  uint32_t type = 0, flags = 0;
  uint64_t offset = 0, vaddr = 0, paddr = 0, filesz = 0, memsz = 0, align = 0;
  bool operator==(const ProgramHeader&) const = default;
};

// A symbol with its section index already resolved through SHT_SYMTAB_SHNDX (shndx is the real index,
// or one of SHN_ABS/SHN_COMMON/other reserved values; never SHN_XINDEX).
struct Symbol {
  uint32_t name = 0;
  uint8_t info = 0, other = 0;
  uint32_t shndx = 0;
  bool xindex = false;  // shndx came from SHT_SYMTAB_SHNDX (so it is a real index even if >= SHN_LORESERVE)
  uint64_t value = 0, size = 0;
};

struct Relocation {
  uint64_t offset = 0;
  uint32_t type = 0;
  uint32_t sym = 0;
  int64_t addend = 0;  // 0 for SHT_REL
};

}  // namespace elfhash::elf
