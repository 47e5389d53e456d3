// libFuzzer target: what `elfhash inspect` computes (docs/inspect.md) on arbitrary bytes: the trailer
// description, then the reader, full table validation (elf/validate.h) and the summary (elf/summary.h:
// counts, build-id notes, .modinfo) of the image in front of the trailer.
#include <cstddef>
#include <cstdint>

#include "elf/mapped_file.h"
#include "elf/reader.h"
#include "elf/summary.h"
#include "merkle/modsig/trailer_info.h"

using namespace elfhash;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  uint64_t image = size;
  if (auto t = merkle::describe_trailer(in, "fuzz"); t.ok()) image = t->trailer.image_size;
  auto f = elf::ElfFile::parse(MappedFile::from_memory(in.first(image), "fuzz"));
  if (!f.ok()) return 0;
  auto s = elf::summarize(*f);
  // Every section but the null one is listed (a file may have no section table at all).
  size_t n = f->sections().size();
  if (s.ok() && s->sections.size() != (n ? n - 1 : 0)) __builtin_trap();
  return 0;
}
