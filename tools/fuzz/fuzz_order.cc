// libFuzzer target: modules.order parsing (merkle/order.h, spec §2.3): arbitrary bytes either give
// an error with an offset inside the text, or stems that reproduce the text line by line.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "merkle/order.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto stems = elfhash::merkle::parse_modules_order(text, "modules.order");
  if (!stems.ok()) {
    if (stems.error().offset >= size) __builtin_trap();  // the offset points at the bad line
    return 0;
  }
  std::string again;
  for (const auto& s : *stems) again += s + ".o\n";
  // Only the last line may lack its '\n'.
  if (again != text && again.substr(0, again.size() - 1) != text) __builtin_trap();
  for (const auto& s : *stems) (void)elfhash::merkle::join_path("objtree", s);
  return 0;
}
