#include "merkle/order.h"

#include <fmt/core.h>

#include "elf/small_file.h"

namespace elfhash::merkle {

Result<std::vector<std::string>> parse_modules_order(std::string_view text, const std::string& name) {
  std::vector<std::string> stems;
  size_t off = 0;
  while (off < text.size()) {
    size_t nl = text.find('\n', off);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(off, end - off);
    if (line.size() < 2 || line.substr(line.size() - 2) != ".o")
      return make_error(name, off, fmt::format("'{}' does not end in '.o'", line));
    stems.emplace_back(line.substr(0, line.size() - 2));
    off = nl == std::string_view::npos ? text.size() : nl + 1;
  }
  return stems;
}

Result<std::vector<std::string>> read_modules_order(const std::string& path) {
  EH_ASSIGN(std::vector<uint8_t> text, read_regular_file(path, uint64_t{1} << 30));
  return parse_modules_order({reinterpret_cast<const char*>(text.data()), text.size()}, path);
}

std::string join_path(const std::string& dir, const std::string& stem) {
  if (dir.empty() || dir == "." || (!stem.empty() && stem[0] == '/')) return stem;
  if (dir.back() == '/') return dir + stem;
  return dir + "/" + stem;
}

}  // namespace elfhash::merkle
