// GNU objcopy's pattern rules. Section patterns are fnmatch(3) globs; a pattern starting with '!'
// excludes matching names regardless of the order the options were given in (binutils
// find_section_list). Symbol names match exactly unless -w/--wildcard is given, in which case they
// are globs with the same '!' rule.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace elfhash::elf {

class PatternList {
 public:
  explicit PatternList(bool glob = true) : glob_(glob) {}
  void add(std::string pattern);
  void set_glob(bool glob) { glob_ = glob; }
  bool empty() const { return patterns_.empty(); }
  bool matches(std::string_view name) const;
  const std::vector<std::string>& patterns() const { return patterns_; }
  // The pattern binutils find_section_list picks for `name` among options of one kind (whose list
  // holds one entry per distinct pattern, newest first): -1 when a matching '!' pattern excludes the
  // name or none matches, else the index of the most recently added matching pattern. So with
  // --set-section-flags the last option given wins. Callers add each distinct pattern once.
  int find_gnu(std::string_view name) const;

 private:
  bool glob_;
  std::vector<std::string> patterns_;
  // Length of each pattern's literal prefix (after a leading '!'): the characters before its first
  // glob special character, which a matching name must start with.
  std::vector<size_t> literal_;
};

}  // namespace elfhash::elf
