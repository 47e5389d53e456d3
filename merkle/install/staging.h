// The output tree of `elfhash seal` is built in a private temporary directory beside STAGING and only
// published once everything has been written, so a failed or interrupted run leaves no STAGING output
// at all, and a reader never sees a half-installed tree (docs/seal.md, "Publication").
//  - The temporary is `<parent>/.<name>.elfhash-seal-<pid>-XXXXXX`, registered for removal on SIGINT/
//    SIGTERM/SIGHUP; stale ones of dead runs are removed by the next run (elf/cleanup.h).
//  - STAGING itself is created (empty) if missing and flock-ed for the whole run: a second seal into
//    the same STAGING at the same time fails at once instead of interleaving with the first.
//  - Publication is renameat2(RENAME_EXCHANGE): the old entry and the new one swap in one step, the old
//    one lands in the temporary tree and is removed with it. A failure leaves the old entry in place
//    (earlier swaps of the same publish are swapped back).
//  - Directories are created and chmod-ed through file descriptors, never by a path that a symlink
//    could redirect; existing directories of STAGING are left as they are.
// Modes are set explicitly (0755 directories, files as asked), so the result does not depend on the
// caller's umask.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "elf/error.h"

namespace elfhash::merkle {

class StagingDir {
 public:
  // Creates the temporary tree (and missing parents of `out`, and `out` itself). `fsync`: every file
  // and directory written, and the directories published into, are fsync-ed before publish() returns.
  static Result<StagingDir> create(const std::string& out, bool fsync = false);
  StagingDir(StagingDir&& o) noexcept;
  StagingDir& operator=(StagingDir&&) = delete;
  ~StagingDir();  // removes the temporary tree (and a STAGING this run created, if still empty)

  const std::string& tmp() const { return tmp_; }
  // tmp()/rel
  std::string path(const std::string& rel) const;
  // Creates tmp()/rel and its missing parents, mode 0755.
  Status make_dirs(const std::string& rel);
  // Writes tmp()/rel (a new file; its directory must exist) = the concatenation of `parts`. kMore: the
  // file is not finished (append_file follows), so --fsync waits for the append.
  enum Sync { kDone, kMore };
  Status write_file(const std::string& rel, std::initializer_list<std::span<const uint8_t>> parts,
                    uint32_t mode = 0644, Sync sync = kDone);
  // Appends `parts` to tmp()/rel, a file this tree's write_file made.
  Status append_file(const std::string& rel, std::initializer_list<std::span<const uint8_t>> parts);
  // Moves the tree into place. `out` empty: the whole tree is swapped with it. Otherwise each of
  // `replace` (paths relative to the tree, e.g. "vmlinux", "lib/modules/6.1.0") is swapped with its
  // counterpart in `out` (or moved there if it has none): unrelated files stay.
  Status publish(const std::vector<std::string>& replace);
  // With fsync: fsync tmp()/rel (a file written by other means than write_file).
  Status sync_file(const std::string& rel) const;
  // Renames tmp()/rel to `dst` (same file system), under the signal-cleanup lock (+ fsync).
  Status move_out(const std::string& rel, const std::string& dst);

 private:
  StagingDir() = default;
  Status exchange_into_out(const std::vector<std::string>& replace);
  Status sync_tree() const;
  std::string out_, tmp_;
  int out_fd_ = -1, tmp_fd_ = -1;  // both flock-ed: the run's claim on STAGING and on its temporary
  uint64_t tmp_id_ = 0, out_id_ = 0;  // elf/cleanup.h registrations
  bool fsync_ = false, created_out_ = false, published_ = false;
  std::vector<std::string> dirs_;  // directories made in the tree (fsync)
};

}  // namespace elfhash::merkle
