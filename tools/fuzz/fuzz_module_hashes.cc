// libFuzzer target: .module_hashes handling (spec §4): find_module_hashes on an arbitrary ELF file,
// then decode_module_hashes of its contents in both byte orders, and the bare-file endian guess.
#include <cstddef>
#include <cstdint>

#include "elf/reader.h"
#include "merkle/module_hashes.h"
#include "merkle/patch.h"

using namespace elfhash;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  (void)merkle::guess_module_hashes_endian(in);
  (void)merkle::decode_module_hashes(in, elf::Endian::kLittle, "fuzz");
  (void)merkle::decode_module_hashes(in, elf::Endian::kBig, "fuzz");
  auto f = elf::ElfFile::parse(MappedFile::from_memory(in, "fuzz"));
  if (!f.ok()) return 0;
  auto mh = merkle::find_module_hashes(*f);
  if (!mh.ok()) return 0;
  auto bytes = f->section_data(mh->index);
  (void)merkle::decode_module_hashes(bytes, f->endian(), "fuzz");
  return 0;
}
