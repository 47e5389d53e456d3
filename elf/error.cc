#include "elf/error.h"

#include <fmt/core.h>

namespace elfhash {

std::string Error::str() const {
  if (offset == kNoOffset) return fmt::format("{}: {}", file, message);
  return fmt::format("{}: offset {:#x}: {}", file, offset, message);
}

Error make_error(std::string file, uint64_t offset, std::string message) {
  return Error{std::move(file), offset, std::move(message)};
}

}  // namespace elfhash
