// The output tree of `elfhash seal` is built in a private temporary directory beside STAGING and only
// published (renamed into place) once everything has been written, so a failed run leaves no STAGING
// output at all, and a reader never sees a half-installed tree. Modes are set explicitly (0755
// directories, files as asked), so the result does not depend on the caller's umask.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "elf/error.h"

namespace elfhash::merkle {

class StagingDir {
 public:
  // Creates `<parent of out>/.<name of out>.elfhash-seal-XXXXXX` (creating missing parents of `out`).
  static Result<StagingDir> create(const std::string& out);
  StagingDir(StagingDir&& o) noexcept;
  StagingDir& operator=(StagingDir&&) = delete;
  ~StagingDir();  // removes the temporary tree unless publish() succeeded

  const std::string& tmp() const { return tmp_; }
  // tmp()/rel
  std::string path(const std::string& rel) const;
  // Creates tmp()/rel and its missing parents, mode 0755.
  Status make_dirs(const std::string& rel);
  // Writes tmp()/rel (a new file; its directory must exist) = the concatenation of `parts`.
  Status write_file(const std::string& rel, std::initializer_list<std::span<const uint8_t>> parts,
                    uint32_t mode = 0644);
  // Moves the tree into place. `out` absent or an empty directory: the whole tree is renamed onto it.
  // Otherwise each of `replace` (paths relative to the tree, e.g. "vmlinux", "lib/modules/6.1.0") is
  // renamed over its counterpart in `out`, the old one being removed: unrelated files stay.
  Status publish(const std::vector<std::string>& replace);

 private:
  StagingDir() = default;
  std::string out_, tmp_;
  bool published_ = false;
};

}  // namespace elfhash::merkle
