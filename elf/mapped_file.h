// Read-only view of an input file, taken once per run (docs/cli.md, "Inputs").
//
// open(): a MAP_PRIVATE mapping. The reader and writer work on spans into it, so a 600 MB vmlinux is
// never copied into the heap: only the pages actually read become resident. A file truncated under the
// mapping would raise SIGBUS on the next access; a process-wide SIGBUS handler replaces the vanished
// pages of a registered mapping with zero pages and flags it, so the run continues to its next
// check_unchanged(), which then fails: the run reports the change instead of dying.
// read(): a private copy in memory (a true snapshot), for inputs that are hashed and later written
// (seal without strip, sign): what is hashed is what is written whatever happens to the file.
//
// Both record the file's identity (device, inode, size, mtime, ctime); check_unchanged() compares it
// with the file now and with what the path names now. Callers run it after their last use of the
// input and before installing anything derived from it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "elf/error.h"

namespace elfhash {

class MappedFile {
 public:
  static Result<std::shared_ptr<MappedFile>> open(const std::string& path);
  static Result<std::shared_ptr<MappedFile>> read(const std::string& path);
  // Wraps bytes already in memory (tests, fuzzers); the span must outlive the object.
  static std::shared_ptr<MappedFile> from_memory(std::span<const uint8_t> bytes, std::string name);
  // The first `size` bytes of `whole` (a file minus its trailer), checked as `whole` is.
  static std::shared_ptr<MappedFile> prefix(std::shared_ptr<MappedFile> whole, size_t size);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }
  int fd() const { return fd_; }  // -1 for in-memory files
  uint32_t mode() const { return mode_; }
  const struct stat& stat() const { return st_; }  // recorded when opened (fstat of the descriptor)
  // Error (naming what changed) if the file was modified, truncated or replaced since it was opened.
  Status check_unchanged() const;
  // The descriptor is closed by a background thread when this object goes (see close_later). For an
  // input that the output replaced: the kernel frees the old file on that close.
  void close_in_background() { close_later_ = true; }

 private:
  MappedFile() = default;
  static Result<std::shared_ptr<MappedFile>> open_fd(const std::string& path);
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  int fd_ = -1;
  uint32_t mode_ = 0644;
  bool mapped_ = false;
  bool close_later_ = false;
  int guard_ = -1;  // SIGBUS guard slot of the mapping, -1 = none
  struct stat st_ = {};
  std::vector<uint8_t> copy_;  // read()
  std::shared_ptr<MappedFile> whole_;  // prefix()
};

// Closes `fd` on a background thread. The last close of a file that was renamed over (an in-place
// strip's input) frees its pages and blocks, and on ext4 mounted with `discard` waits for a
// synchronous discard of each freed extent (ext4_free_blocks -> blkdev_issue_discard): ~1 ms a module,
// most of an in-place strip's wall time. On two threads these waits overlap each other and the next
// file's work. Falls back to closing inline when no thread can be started.
void close_later(int fd);
// Waits until every descriptor given to close_later() is closed (commands call it before exiting, so
// the freeing is part of their run, not left to exit()).
void wait_background_closes();

}  // namespace elfhash
