#include "merkle/tree.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <thread>

#include "merkle/parallel.h"

namespace elfhash::merkle {

uint32_t levels_for(uint64_t n) {
  if (n == 0) return 0;
  if (n == 1) return 1;
  return static_cast<uint32_t>(std::bit_width(n - 1));
}

Tree Tree::build(std::vector<Hash> leaves) {
  Tree t;
  t.leaves_ = std::move(leaves);
  uint32_t levels = levels_for(t.leaves_.size());
  t.nodes_.reserve(levels);
  Sha256 sha;
  const std::vector<Hash>* prev = &t.leaves_;
  for (uint32_t i = 0; i < levels; ++i) {
    std::vector<Hash> cur((prev->size() + 1) / 2);
    for (size_t j = 0; j < prev->size(); j += 2) {
      // An odd last node is paired with itself (spec §2.5).
      const Hash& right = j + 1 < prev->size() ? (*prev)[j + 1] : (*prev)[j];
      cur[j / 2] = sha.node((*prev)[j], right);
    }
    t.nodes_.push_back(std::move(cur));
    prev = &t.nodes_.back();
  }
  return t;
}

Hash Tree::root() const {
  if (nodes_.empty()) return Hash{};
  return nodes_.back().front();
}

std::vector<Hash> Tree::proof(uint32_t pos) const {
  // Sibling at the leaf row, then at level[i-1] for i = 1 .. levels-1 (spec §3.1): the row below each
  // node level is `leaves_` for i = 0, else nodes_[i-1].
  std::vector<Hash> out;
  if (pos >= leaves_.size()) return out;
  out.reserve(nodes_.size());
  uint64_t k = pos;
  for (uint32_t i = 0; i < levels(); ++i, k >>= 1) {
    const std::vector<Hash>& row = i == 0 ? leaves_ : nodes_[i - 1];
    uint64_t sib = k ^ 1;
    out.push_back(sib < row.size() ? row[sib] : row[k]);
  }
  return out;
}

unsigned effective_threads(unsigned threads, size_t jobs) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  return static_cast<unsigned>(std::max<size_t>(1, std::min<size_t>(threads, jobs)));
}

namespace {

struct FileWorker {
  Sha256 sha;
  // read() into a small cache-resident buffer measured ~30% faster than hashing an mmap of the
  // page cache (docs/merkle-commands.md, "Performance"), so files are streamed, not mapped.
  std::vector<uint8_t> buf = std::vector<uint8_t>(256 * 1024);
};

Error sys_error(const std::string& path, const char* what) {
  return make_error(path, kNoOffset, std::string(what) + ": " + std::strerror(errno));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// L = SHA256(0x01 || be32(pos) || whole file), streaming the file through the worker's buffer.
Result<Hash> hash_file(FileWorker& w, uint32_t pos, const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return sys_error(path, "open");
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return sys_error(path, "stat");
  if (!S_ISREG(st.st_mode)) return make_error(path, kNoOffset, "not a regular file");
  // The kernel's tool cannot hash a zero-length module (mmap fails, spec §2.2); neither do we.
  if (st.st_size == 0) return make_error(path, kNoOffset, "empty module file");
  posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  w.sha.init_leaf(pos);
  uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(fd.get(), w.buf.data(), w.buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error(path, "read");
    if (n == 0) break;
    w.sha.update(w.buf.data(), static_cast<size_t>(n));
    total += static_cast<uint64_t>(n);
  }
  if (total != static_cast<uint64_t>(st.st_size))
    return make_error(path, total, "file changed size while it was being hashed");
  return w.sha.final();
}

}  // namespace

std::vector<Hash> hash_buffers(const std::vector<std::span<const uint8_t>>& modules, unsigned threads) {
  std::vector<Hash> out(modules.size());
  parallel_for<Sha256>(modules.size(), threads, [&](Sha256& sha, size_t i) {
    out[i] = sha.leaf(static_cast<uint32_t>(i), modules[i]);
  });
  return out;
}

Result<std::vector<Hash>> hash_files(const std::vector<std::string>& paths, unsigned threads) {
  if (paths.size() > UINT32_MAX)
    return make_error("modules.order", kNoOffset, "more modules than a be32 position can address");
  std::vector<Hash> out(paths.size());
  std::vector<std::optional<Error>> errors(paths.size());
  // Lowest failing index so far. Later indices are skipped (the result is an error anyway); earlier
  // ones all run, so the error reported, the first in list order, never depends on scheduling.
  std::atomic<size_t> first_failed{SIZE_MAX};
  parallel_for<FileWorker>(paths.size(), threads, [&](FileWorker& w, size_t i) {
    if (i > first_failed.load(std::memory_order_relaxed)) return;
    auto h = hash_file(w, static_cast<uint32_t>(i), paths[i]);
    if (h.ok()) {
      out[i] = *h;
      return;
    }
    errors[i] = h.error();
    size_t cur = first_failed.load();
    while (i < cur && !first_failed.compare_exchange_weak(cur, i)) {
    }
  });
  size_t bad = first_failed.load();
  if (bad != SIZE_MAX) return *errors[bad];
  return out;
}

}  // namespace elfhash::merkle
