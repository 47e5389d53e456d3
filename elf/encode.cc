#include "elf/encode.h"

#include <cstring>

#include "elf/bytes.h"

namespace elfhash::elf {

void encode_ehdr(const FileHeader& h, uint16_t shnum_field, uint16_t shstrndx_field, uint16_t phnum_field,
                 Format f, uint8_t* p) {
  Endian e = f.endian;
  std::memcpy(p, h.ident, 16);
  store<uint16_t>(p + 16, e, h.type);
  store<uint16_t>(p + 18, e, h.machine);
  store<uint32_t>(p + 20, e, h.version);
  size_t o;
  if (f.is64()) {
    store<uint64_t>(p + 24, e, h.entry);
    store<uint64_t>(p + 32, e, h.phoff);
    store<uint64_t>(p + 40, e, h.shoff);
    o = 48;
  } else {
    store<uint32_t>(p + 24, e, static_cast<uint32_t>(h.entry));
    store<uint32_t>(p + 28, e, static_cast<uint32_t>(h.phoff));
    store<uint32_t>(p + 32, e, static_cast<uint32_t>(h.shoff));
    o = 36;
  }
  store<uint32_t>(p + o, e, h.flags);
  store<uint16_t>(p + o + 4, e, static_cast<uint16_t>(f.ehdr_size()));
  store<uint16_t>(p + o + 6, e, h.phentsize);
  store<uint16_t>(p + o + 8, e, phnum_field);
  store<uint16_t>(p + o + 10, e, static_cast<uint16_t>(f.shdr_size()));
  store<uint16_t>(p + o + 12, e, shnum_field);
  store<uint16_t>(p + o + 14, e, shstrndx_field);
}

void encode_shdr(const SectionHeader& s, Format f, uint8_t* p) {
  Endian e = f.endian;
  store<uint32_t>(p, e, s.name);
  store<uint32_t>(p + 4, e, s.type);
  if (f.is64()) {
    store<uint64_t>(p + 8, e, s.flags);
    store<uint64_t>(p + 16, e, s.addr);
    store<uint64_t>(p + 24, e, s.offset);
    store<uint64_t>(p + 32, e, s.size);
    store<uint32_t>(p + 40, e, s.link);
    store<uint32_t>(p + 44, e, s.info);
    store<uint64_t>(p + 48, e, s.addralign);
    store<uint64_t>(p + 56, e, s.entsize);
  } else {
    store<uint32_t>(p + 8, e, static_cast<uint32_t>(s.flags));
    store<uint32_t>(p + 12, e, static_cast<uint32_t>(s.addr));
    store<uint32_t>(p + 16, e, static_cast<uint32_t>(s.offset));
    store<uint32_t>(p + 20, e, static_cast<uint32_t>(s.size));
    store<uint32_t>(p + 24, e, s.link);
    store<uint32_t>(p + 28, e, s.info);
    store<uint32_t>(p + 32, e, static_cast<uint32_t>(s.addralign));
    store<uint32_t>(p + 36, e, static_cast<uint32_t>(s.entsize));
  }
}

void encode_sym(uint32_t name, uint8_t info, uint8_t other, uint16_t shndx, uint64_t value, uint64_t size,
                Format f, uint8_t* p) {
  Endian e = f.endian;
  store<uint32_t>(p, e, name);
  if (f.is64()) {
    p[4] = info;
    p[5] = other;
    store<uint16_t>(p + 6, e, shndx);
    store<uint64_t>(p + 8, e, value);
    store<uint64_t>(p + 16, e, size);
  } else {
    store<uint32_t>(p + 4, e, static_cast<uint32_t>(value));
    store<uint32_t>(p + 8, e, static_cast<uint32_t>(size));
    p[12] = info;
    p[13] = other;
    store<uint16_t>(p + 14, e, shndx);
  }
}

void encode_phdr(const ProgramHeader& ph, Format f, uint8_t* p) {
  Endian e = f.endian;
  store<uint32_t>(p, e, ph.type);
  if (f.is64()) {
    store<uint32_t>(p + 4, e, ph.flags);
    store<uint64_t>(p + 8, e, ph.offset);
    store<uint64_t>(p + 16, e, ph.vaddr);
    store<uint64_t>(p + 24, e, ph.paddr);
    store<uint64_t>(p + 32, e, ph.filesz);
    store<uint64_t>(p + 40, e, ph.memsz);
    store<uint64_t>(p + 48, e, ph.align);
  } else {
    store<uint32_t>(p + 4, e, static_cast<uint32_t>(ph.offset));
    store<uint32_t>(p + 8, e, static_cast<uint32_t>(ph.vaddr));
    store<uint32_t>(p + 12, e, static_cast<uint32_t>(ph.paddr));
    store<uint32_t>(p + 16, e, static_cast<uint32_t>(ph.filesz));
    store<uint32_t>(p + 20, e, static_cast<uint32_t>(ph.memsz));
    store<uint32_t>(p + 24, e, ph.flags);
    store<uint32_t>(p + 28, e, static_cast<uint32_t>(ph.align));
  }
}

}  // namespace elfhash::elf
