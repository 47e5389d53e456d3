// libFuzzer target: the module signature trailer parser (merkle/trailer.h, spec §3 and §7.2) on
// arbitrary bytes: parse_trailer on the whole input, check_merkle_trailer on what it splits off.
#include <cstddef>
#include <cstdint>

#include "merkle/trailer.h"

using namespace elfhash;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  auto t = merkle::parse_trailer(in, "fuzz");
  if (t.ok()) {
    if (t->image_size > size) __builtin_trap();
    if (t->kind != merkle::TrailerKind::kNone) (void)merkle::check_merkle_trailer(in.subspan(t->image_size), "fuzz");
  }
  (void)merkle::check_merkle_trailer(in, "fuzz");
  return 0;
}
