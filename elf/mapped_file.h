// Read-only memory mapping of an input file. The reader and writer work on spans into the mapping, so
// a 600 MB vmlinux is never copied into the heap: only the pages actually read become resident.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "elf/error.h"

namespace elfhash {

class MappedFile {
 public:
  static Result<std::shared_ptr<MappedFile>> open(const std::string& path);
  // Wraps bytes already in memory (tests, fuzzers); the span must outlive the object.
  static std::shared_ptr<MappedFile> from_memory(std::span<const uint8_t> bytes, std::string name);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }
  int fd() const { return fd_; }  // -1 for in-memory files
  uint32_t mode() const { return mode_; }

 private:
  MappedFile() = default;
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  int fd_ = -1;
  uint32_t mode_ = 0644;
  bool mapped_ = false;
};

}  // namespace elfhash
