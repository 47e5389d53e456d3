#include "merkle/kernel/installed_tree.h"

#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <system_error>
#include <unordered_map>

#include "elf/small_file.h"

namespace elfhash::kernel {
namespace {

constexpr std::string_view kSuffixes[] = {".ko", ".ko.gz", ".ko.xz", ".ko.zst"};

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// modules.order of an installed tree: one relative path per line (depmod reads it the same way).
Result<std::vector<std::string>> read_order(const std::string& path) {
  EH_ASSIGN(std::vector<uint8_t> bytes, read_regular_file(path, 64 << 20));
  std::vector<std::string> out;
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty()) out.emplace_back(line);
  }
  return out;
}

}  // namespace

bool is_module_name(std::string_view name) {
  return std::any_of(std::begin(kSuffixes), std::end(kSuffixes), [&](auto s) { return ends_with(name, s); });
}

std::string_view uncompressed_name(std::string_view name) {
  for (std::string_view s : {".gz", ".xz", ".zst"})
    if (ends_with(name, std::string(".ko") + std::string(s))) return name.substr(0, name.size() - s.size());
  return name;
}

Result<InstalledTree> scan_installed_tree(const std::string& dir) {
  namespace fs = std::filesystem;
  InstalledTree t;
  t.dir = dir;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec), end;
  if (ec) return make_error(dir, kNoOffset, ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return make_error(dir, kNoOffset, ec.message());
    std::string name = it->path().filename().string();
    if (!is_module_name(name) || it->is_directory(ec)) continue;
    // Lexically: fs::relative would resolve symbolic links (a tree of links, cp -as, is still the tree).
    std::string rel = it->path().lexically_relative(dir).generic_string();
    t.modules.push_back({(fs::path(dir) / rel).string(), rel, false});
  }
  std::sort(t.modules.begin(), t.modules.end(), [](const auto& a, const auto& b) { return a.rel < b.rel; });
  std::string order = (fs::path(dir) / "modules.order").string();
  if (!fs::exists(order, ec)) return t;
  t.has_order = true;
  EH_ASSIGN(std::vector<std::string> listed, read_order(order));
  std::unordered_map<std::string_view, size_t> by_name;
  for (size_t i = 0; i < t.modules.size(); ++i) by_name.emplace(uncompressed_name(t.modules[i].rel), i);
  std::set<std::string_view> seen;
  for (const std::string& l : listed) {
    auto hit = by_name.find(l);
    if (hit != by_name.end()) t.modules[hit->second].listed = true;
    else if (seen.insert(l).second) t.missing.push_back(l);
  }
  return t;
}

}  // namespace elfhash::kernel
