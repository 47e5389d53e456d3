// Helpers shared by the merkle tests: temp directories, file I/O, hex, the elfhash binary.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "merkle/sha256.h"

namespace elfhash::merkle::testing {

std::vector<uint8_t> from_hex(const std::string& hex);  // whitespace is ignored
Hash hash_from_hex(const std::string& hex);
std::vector<uint8_t> bytes(const std::string& s);

// A fresh directory under $TEST_TMPDIR (or /tmp), removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

void write_file(const std::string& path, const std::vector<uint8_t>& data);
void write_file(const std::string& path, const std::string& data);
std::vector<uint8_t> read_file(const std::string& path);
bool file_exists(const std::string& path);
uint32_t file_mode(const std::string& path);

// Path of the elfhash binary in the test's runfiles.
std::string elfhash_binary();
// Runs a shell command line; returns its exit status (or -1 if it did not exit normally).
int run(const std::string& cmdline);
std::string shell_quote(const std::string& s);

}  // namespace elfhash::merkle::testing
