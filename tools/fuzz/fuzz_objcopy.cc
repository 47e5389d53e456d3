// libFuzzer target: `elfhash objcopy` / `strip` on arbitrary bytes, in memory (elf/copy.h). The first
// input byte picks the editing options, so one corpus exercises the kernel's common command lines
// (spec §5): plain copy, --strip-debug, --strip-unneeded, -R .modinfo, -R '.rel*'.
// Hook: as options are added to CopyOptions, extend pick_options().
#include <cstddef>
#include <cstdint>

#include "elf/copy.h"
#include "elf/ops.h"

using namespace elfhash;
using namespace elfhash::elf;

namespace {
CopyOptions pick_options(uint8_t sel) {
  CopyOptions o;
  switch (sel % 5) {
    case 1: o.strip = StripMode::kDebug; break;
    case 2: o.strip = StripMode::kUnneeded; break;
    case 3: o.remove_sections.add(".modinfo"); break;
    case 4: o.remove_sections.add(".rel*"); break;
    default: break;
  }
  return o;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  CopyOptions opt = pick_options(data[0]);
  auto out = copy_to_memory({data + 1, size - 1}, "fuzz", opt);
  if (!out.ok()) return 0;
  // Whatever objcopy writes must itself be readable, and copying it again must be a fixed point.
  CopyOptions plain;
  auto again = copy_to_memory(*out, "fuzz-out", plain);
  if (!again.ok()) __builtin_trap();
  return 0;
}
