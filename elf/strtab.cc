#include "elf/strtab.h"

#include <algorithm>
#include <cstring>

namespace elfhash::elf {
namespace {

// Three-way comparison by reversed bytes (unsigned); when one is a suffix of the other the shorter
// comes first.
int reverse_cmp(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 1; i <= n; ++i) {
    auto ca = static_cast<unsigned char>(a[a.size() - i]);
    auto cb = static_cast<unsigned char>(b[b.size() - i]);
    if (ca != cb) return ca < cb ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : a.size() < b.size() ? -1 : 1;
}

bool is_proper_suffix(std::string_view longer, std::string_view s) {
  return longer.size() > s.size() && longer.substr(longer.size() - s.size()) == s;
}

}  // namespace

uint32_t StringTable::add(std::string_view s) {
  if (strings_.empty()) strings_.push_back({});
  if (s.empty()) return 0;
  strings_.push_back(s);
  return static_cast<uint32_t>(strings_.size() - 1);
}

void StringTable::finalize() {
  if (strings_.empty()) strings_.push_back({});
  const size_t n = strings_.size();
  // Equal strings sort next to each other, the first added first. The sort key starts with the last
  // 8 bytes, reversed, as one integer (zero-padded: no string contains NUL, so a shorter suffix still
  // sorts first); only strings sharing those bytes need the byte-wise comparison.
  struct Entry {
    uint64_t key;
    uint32_t handle;
  };
  std::vector<Entry> sorted;
  sorted.reserve(n);
  for (uint32_t i = 1; i < n; ++i) {
    std::string_view s = strings_[i];
    uint64_t key = 0;
    for (size_t k = 0; k < 8; ++k)
      key = (key << 8) | (k < s.size() ? static_cast<unsigned char>(s[s.size() - 1 - k]) : 0);
    sorted.push_back({key, i});
  }
  std::sort(sorted.begin(), sorted.end(), [&](const Entry& a, const Entry& b) {
    if (a.key != b.key) return a.key < b.key;
    int c = reverse_cmp(strings_[a.handle], strings_[b.handle]);
    return c != 0 ? c < 0 : a.handle < b.handle;
  });
  std::vector<uint32_t> order;
  order.reserve(n);
  for (const Entry& e : sorted) order.push_back(e.handle);
  // canon[i] = the first-added copy of string i; `unique` = the canonical handles in sorted order.
  std::vector<uint32_t> canon(n, 0), unique;
  unique.reserve(order.size());
  for (size_t k = 0; k < order.size(); ++k) {
    uint32_t cur = order[k];
    if (k > 0 && strings_[cur] == strings_[order[k - 1]]) {
      canon[cur] = canon[order[k - 1]];
    } else {
      canon[cur] = cur;
      unique.push_back(cur);
    }
  }
  // parent[i] = handle of the string canonical string i is merged into (0 = stored itself).
  std::vector<uint32_t> parent(n, 0);
  if (!unique.empty()) {
    uint32_t anchor = unique.back();
    for (size_t k = unique.size() - 1; k-- > 0;) {
      uint32_t cur = unique[k];
      if (is_proper_suffix(strings_[anchor], strings_[cur]))
        parent[cur] = anchor;
      else
        anchor = cur;
    }
  }
  offsets_.assign(n, 0);
  size_t size = 1;
  for (uint32_t i = 1; i < n; ++i)
    if (canon[i] == i && parent[i] == 0) {  // stored strings, in first-insertion order
      offsets_[i] = static_cast<uint32_t>(size);
      size += strings_[i].size() + 1;
    }
  for (uint32_t i = 1; i < n; ++i)
    if (canon[i] == i && parent[i] != 0) {
      // The anchor chain is flattened: an anchor is never itself merged.
      uint32_t p = parent[i];
      offsets_[i] = offsets_[p] + static_cast<uint32_t>(strings_[p].size() - strings_[i].size());
    }
  for (uint32_t i = 1; i < n; ++i)
    if (canon[i] != i) offsets_[i] = offsets_[canon[i]];
  bytes_.assign(size, 0);
  for (uint32_t i = 1; i < n; ++i)
    if (canon[i] == i && parent[i] == 0)
      std::memcpy(bytes_.data() + offsets_[i], strings_[i].data(), strings_[i].size());
}

}  // namespace elfhash::elf
