#include "elf/patterns.h"

#include <fnmatch.h>

#include <algorithm>
#include <cstring>

namespace elfhash::elf {
namespace {

// With fnmatch flags 0, the literal characters a glob starts with (up to its first special
// character) must equal the name's first characters; a name without that prefix cannot match and
// fnmatch need not run (the kbuild vmlinux command tests ~120k symbols against
// '__mod_device_table__*'). `pattern` must be NUL-terminated right after its end.
bool glob_matches(std::string_view pattern, size_t literal, std::string_view name) {
  if (name.substr(0, literal) != pattern.substr(0, literal)) return false;
  if (literal == pattern.size()) return name == pattern;
  // fnmatch needs a NUL-terminated name; most names fit the stack buffer.
  char small[256];
  std::string large;
  const char* n = small;
  if (name.size() < sizeof small) {
    std::memcpy(small, name.data(), name.size());
    small[name.size()] = '\0';
  } else {
    large.assign(name);
    n = large.c_str();
  }
  return fnmatch(pattern.data(), n, 0) == 0;
}

}  // namespace

void PatternList::add(std::string pattern) {
  std::string_view body(pattern);
  if (!body.empty() && body[0] == '!') body.remove_prefix(1);
  literal_.push_back(std::min(body.size(), body.find_first_of("*?[\\")));
  patterns_.push_back(std::move(pattern));
}

bool PatternList::matches(std::string_view name) const {
  bool hit = false;
  for (size_t i = 0; i < patterns_.size(); ++i) {
    const std::string& p = patterns_[i];
    bool negated = glob_ && !p.empty() && p[0] == '!';
    std::string_view pat = std::string_view(p).substr(negated ? 1 : 0);
    bool m = glob_ ? glob_matches(pat, literal_[i], name) : name == p;
    if (m && negated) return false;  // an exclusion wins over any inclusion
    hit = hit || m;
  }
  return hit;
}

int PatternList::find_gnu(std::string_view name) const {
  int best = -1;
  for (size_t i = patterns_.size(); i-- > 0;) {
    const std::string& p = patterns_[i];
    bool negated = glob_ && !p.empty() && p[0] == '!';
    std::string_view pat = std::string_view(p).substr(negated ? 1 : 0);
    if (!(glob_ ? glob_matches(pat, literal_[i], name) : name == p)) continue;
    if (negated) return -1;
    if (best < 0) best = static_cast<int>(i);
  }
  return best;
}

}  // namespace elfhash::elf
