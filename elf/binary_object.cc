#include "elf/binary_object.h"

#include <fmt/core.h>

#include <algorithm>
#include <string>

#include "elf/encode.h"
#include "elf/types.h"

namespace elfhash::elf {
namespace {

struct Target {
  std::string_view name;
  Class cls;
  Endian endian;
  uint16_t machine;
  std::string_view arch;  // the -B name of the target's default architecture
};

// Checked against binutils-multiarch 2.40 (tools/tests/objcopy_dropin_test.sh): e_flags and
// EI_OSABI are 0 for each.
constexpr Target kTargets[] = {
    {"elf64-x86-64", Class::k64, Endian::kLittle, EM_X86_64, "i386:x86-64"},
    {"elf32-x86-64", Class::k32, Endian::kLittle, EM_X86_64, "i386:x64-32"},
    {"elf32-i386", Class::k32, Endian::kLittle, EM_386, "i386"},
    {"elf64-littleaarch64", Class::k64, Endian::kLittle, EM_AARCH64, "aarch64"},
    {"elf64-bigaarch64", Class::k64, Endian::kBig, EM_AARCH64, "aarch64"},
    {"elf64-littleriscv", Class::k64, Endian::kLittle, EM_RISCV, "riscv:rv64"},
    {"elf32-littleriscv", Class::k32, Endian::kLittle, EM_RISCV, "riscv:rv32"},
    {"elf64-s390", Class::k64, Endian::kBig, EM_S390, "s390:64-bit"},
    {"elf32-s390", Class::k32, Endian::kBig, EM_S390, "s390:31-bit"},
    {"elf64-powerpcle", Class::k64, Endian::kLittle, EM_PPC64, "powerpc:common64"},
    {"elf64-powerpc", Class::k64, Endian::kBig, EM_PPC64, "powerpc:common64"},
    {"elf32-powerpc", Class::k32, Endian::kBig, EM_PPC, "powerpc:common"},
};

// bfd/binary.c mangle_name: every character of the path that is not an ASCII letter or digit
// becomes '_'.
std::string mangled(std::string_view name, std::string_view suffix) {
  std::string s = fmt::format("_binary_{}_{}", name, suffix);
  for (char& c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) c = '_';
  return s;
}

uint64_t align(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

}  // namespace

Result<std::vector<uint8_t>> binary_as_object(std::span<const uint8_t> bytes, std::string_view name,
                                              std::string_view target, std::string_view arch) {
  const Target* t = nullptr;
  for (const Target& c : kTargets)
    if (c.name == target) t = &c;
  if (!t)
    return make_error(std::string(name), kNoOffset,
                      fmt::format("-I binary to target '{}': elfhash writes elf64-x86-64, elf32-x86-64, elf32-i386, "
                                  "elf64-littleaarch64, elf64-bigaarch64, elf64/32-littleriscv, elf64/32-s390, "
                                  "elf64-powerpcle, elf64-powerpc and elf32-powerpc",
                                  target));
  if (!arch.empty() && arch != t->arch)
    return make_error(std::string(name), kNoOffset,
                      fmt::format("-B {} with target {}: elfhash supports only the target's own architecture ({})", arch,
                                  target, t->arch));
  const Format f{t->cls, t->endian};
  const std::string start = mangled(name, "start"), end = mangled(name, "end"), size = mangled(name, "size");
  std::string strtab(1, '\0');
  const uint32_t n_start = 1, n_end = n_start + start.size() + 1, n_size = n_end + end.size() + 1;
  strtab += start + '\0' + end + '\0' + size + '\0';
  const std::string shstrtab = std::string("\0.symtab\0.strtab\0.shstrtab\0.data\0", 33);
  const uint64_t data_off = f.ehdr_size(), sym_off = align(data_off + bytes.size(), f.file_align());
  const uint64_t str_off = sym_off + 4 * f.sym_size(), shstr_off = str_off + strtab.size();
  const uint64_t shoff = align(shstr_off + shstrtab.size(), f.file_align());
  std::vector<uint8_t> out(shoff + 5 * f.shdr_size(), 0);
  FileHeader h;
  h.ident[0] = 0x7f, h.ident[1] = 'E', h.ident[2] = 'L', h.ident[3] = 'F';
  h.ident[4] = f.is64() ? 2 : 1;
  h.ident[5] = t->endian == Endian::kLittle ? 1 : 2;
  h.ident[6] = 1;
  h.type = ET_REL;
  h.machine = t->machine;
  h.version = 1;
  h.shoff = shoff;
  h.ehsize = static_cast<uint16_t>(f.ehdr_size());
  h.shentsize = static_cast<uint16_t>(f.shdr_size());
  encode_ehdr(h, 5, 4, 0, f, out.data());
  std::copy(bytes.begin(), bytes.end(), out.begin() + data_off);
  uint8_t* sym = out.data() + sym_off;
  encode_sym(n_start, st_info(STB_GLOBAL, STT_NOTYPE), 0, 1, 0, 0, f, sym + 1 * f.sym_size());
  encode_sym(n_end, st_info(STB_GLOBAL, STT_NOTYPE), 0, 1, bytes.size(), 0, f, sym + 2 * f.sym_size());
  encode_sym(n_size, st_info(STB_GLOBAL, STT_NOTYPE), 0, SHN_ABS, bytes.size(), 0, f, sym + 3 * f.sym_size());
  std::copy(strtab.begin(), strtab.end(), out.begin() + str_off);
  std::copy(shstrtab.begin(), shstrtab.end(), out.begin() + shstr_off);
  const SectionHeader shdrs[5] = {
      {},
      {27, SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, 0, data_off, bytes.size(), 0, 0, 1, 0},
      {1, SHT_SYMTAB, 0, 0, sym_off, 4 * f.sym_size(), 3, 1, f.file_align(), f.sym_size()},
      {9, SHT_STRTAB, 0, 0, str_off, strtab.size(), 0, 0, 1, 0},
      {17, SHT_STRTAB, 0, 0, shstr_off, shstrtab.size(), 0, 0, 1, 0},
  };
  for (int i = 0; i < 5; ++i) encode_shdr(shdrs[i], f, out.data() + shoff + i * f.shdr_size());
  return out;
}

}  // namespace elfhash::elf
