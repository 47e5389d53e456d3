// Output files are written to a temporary file in the target directory and renamed over the target
// only on success, so a failure never leaves a partial or missing output, and in-place edits are atomic.
// A symbolic link as target is followed: the file it points to is replaced and the link stays. A target
// that exists and is not a regular file (/dev/null, a FIFO, a terminal) is never replaced: the output is
// assembled in memory and written to it on commit().
// A target with several hard links is rewritten in place on commit() (its inode is kept, so every name
// sees the new bytes), as GNU strip/objcopy 2.40 do (binutils/rename.c simple_copy); that one case is not
// atomic. The temp file is `.NAME.elfhash-<pid>-XXXXXX` and is registered for removal on SIGINT/SIGTERM/
// SIGHUP (elf/cleanup.h); creating one removes the stale temps of dead runs in the same directory.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "elf/error.h"

namespace elfhash {

class AtomicFile {
 public:
  // Creates a temp file next to `path`. `mode` is applied exactly (independent of the umask).
  // `fsync`: commit() makes the file and its directory entry durable (fsync of both) before returning.
  static Result<AtomicFile> create(const std::string& path, uint32_t mode = 0644, bool fsync = false);
  AtomicFile(AtomicFile&& o) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  ~AtomicFile();  // removes the temp file unless commit() succeeded

  int fd() const { return fd_; }
  bool is_stream() const { return stream_; }  // the target is not a regular file (see above)
  const std::string& path() const { return path_; }
  Status write_at(uint64_t offset, std::span<const uint8_t> data);
  Status append(std::span<const uint8_t> data);
  // Appends the spans in order with pwritev (not for stream outputs).
  Status write_spans(std::span<const std::span<const uint8_t>> spans);
  // Copies `size` bytes from `in_fd` at `in_off` to the output at `out_off`: copy_file_range where the
  // file system shares extents or copies on the server, else pread/pwrite through a 1 MiB buffer
  // (faster than the kernel's page-by-page splice, elf/atomic_file.cc copy_range_pays).
  Status copy_from(int in_fd, uint64_t in_off, uint64_t out_off, uint64_t size);
  Status truncate(uint64_t size);
  // Makes [offset, offset + size) read as zeros again, within what was written (a wrong early copy,
  // elf/writer.h EarlyCopy).
  Status zero_range(uint64_t offset, uint64_t size);
  Status commit();  // close + rename over the target (or rewrite it in place: hard links, see above)

 private:
  AtomicFile() = default;
  Status commit_in_place();
  std::string path_, tmp_;
  int fd_ = -1;
  uint64_t temp_id_ = 0;  // elf/cleanup.h registration
  uint32_t mode_ = 0644;
  bool fsync_ = false, in_place_ = false;
  bool replaces_ = false;  // the target existed when the temp was created
  uint64_t end_ = 0;
  bool committed_ = false;
  bool stream_ = false;
  bool no_copy_range_ = true;  // copy_file_range does not pay on this file system, or the kernel refused it
  bool copy_range_checked_ = false;
  std::vector<uint8_t> mem_;  // the output, when stream_
};

// pwrite(2) of all of `data` at `offset` (errors name `path`). It touches no AtomicFile state, so a
// second thread may write other offsets of a temp file through it (elf/writer.h EarlyCopy).
Status pwrite_all(int fd, uint64_t offset, std::span<const uint8_t> data, const std::string& path);

// Writes `data` to `path` atomically.
Status write_file_atomic(const std::string& path, std::span<const uint8_t> data, uint32_t mode = 0644,
                         bool fsync = false);
// fsync of the directory holding `path` (after a rename into it, for --fsync).
Status fsync_parent_dir(const std::string& path);

}  // namespace elfhash
