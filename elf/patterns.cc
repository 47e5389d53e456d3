#include "elf/patterns.h"

#include <fnmatch.h>

namespace elfhash::elf {

bool PatternList::matches(std::string_view name) const {
  std::string n(name);
  bool hit = false;
  for (const auto& p : patterns_) {
    bool negated = glob_ && !p.empty() && p[0] == '!';
    const char* pat = p.c_str() + (negated ? 1 : 0);
    bool m = glob_ ? fnmatch(pat, n.c_str(), 0) == 0 : n == p;
    if (m && negated) return false;  // an exclusion wins over any inclusion
    hit = hit || m;
  }
  return hit;
}

}  // namespace elfhash::elf
