// libFuzzer target: the hardened ELF reader on arbitrary bytes. Parses, then decodes everything a
// command could ask for (every symbol table with its names, relocation section, group, section name
// and section contents). Any crash, sanitizer report, hang or out-of-memory is a reader bug.
#include <cstddef>
#include <cstdint>

#include "elf/reader.h"

using namespace elfhash;
using namespace elfhash::elf;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto f = ElfFile::parse(MappedFile::from_memory({data, size}, "fuzz"));
  if (!f.ok()) return 0;
  (void)f->check_tables();
  size_t sink = 0;
  for (uint32_t i = 0; i < f->sections().size(); ++i) {
    sink += f->section_name(i).size();
    auto d = f->section_data(i);
    if (!d.empty()) sink += d[0] + d[d.size() - 1];  // touch both ends: ASan checks the bounds
    switch (f->sections()[i].type) {
      case SHT_SYMTAB:
      case SHT_DYNSYM:
        if (auto syms = f->symbols(i); syms.ok())
          for (const Symbol& y : *syms)
            if (auto s = f->string_at(f->sections()[i].link, y.name); s.ok()) sink += s->size();
        break;
      case SHT_STRTAB: (void)f->string_at(i, 1); break;
      case SHT_REL:
      case SHT_RELA: (void)f->relocations(i); break;
      case SHT_GROUP: (void)f->group(i); break;
      default: break;
    }
  }
  if (auto st = f->symtab_index()) (void)f->shndx_index_for(*st);
  (void)f->find_section(".modinfo");
  // PT_NULL entries are unused and their other fields undefined (gABI), so parse() checks only the rest.
  for (const ProgramHeader& p : f->segments())
    if (p.type != PT_NULL && p.filesz) sink += data[p.offset] + data[p.offset + p.filesz - 1];
  return sink == 0xdeadbeef;  // keep `sink` alive
}
