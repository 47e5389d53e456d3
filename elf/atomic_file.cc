#include "elf/atomic_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <climits>
#include <unistd.h>

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <vector>

#include "elf/cleanup.h"

namespace elfhash {
namespace {

Error sys_error(const std::string& path, const char* what) {
  return make_error(path, kNoOffset, std::string(what) + ": " + std::strerror(errno));
}

// Copies `size` bytes between two files: copy_file_range where the output's file system does better
// than a copy (`no_copy_range` false; until the kernel refuses it for this pair), then pread/pwrite
// through a 1 MiB buffer.
Status copy_range(int in_fd, uint64_t in_off, int out_fd, uint64_t out_off, uint64_t size, const std::string& path,
                  bool& no_copy_range) {
  loff_t ioff = static_cast<loff_t>(in_off), ooff = static_cast<loff_t>(out_off);
  uint64_t left = size;
  while (left > 0 && !no_copy_range) {
    ssize_t n = copy_file_range(in_fd, &ioff, out_fd, &ooff, left, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == ENOSPC || errno == EDQUOT || errno == EIO)) return sys_error(path, "write");
    if (n <= 0) {
      no_copy_range = true;  // EXDEV (other file system), ENOSYS, EOPNOTSUPP, ...
      break;
    }
    left -= static_cast<uint64_t>(n);
  }
  const size_t cap = static_cast<size_t>(std::min<uint64_t>(left, 1 << 20));
  auto buf = left ? std::make_unique_for_overwrite<uint8_t[]>(cap) : nullptr;  // (no zero fill)
  while (left > 0) {
    ssize_t n = pread(in_fd, buf.get(), static_cast<size_t>(std::min<uint64_t>(left, cap)), ioff);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return sys_error(path, "read while copying");
    for (ssize_t done = 0; done < n;) {
      ssize_t w = pwrite(out_fd, buf.get() + done, static_cast<size_t>(n - done), ooff + done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return sys_error(path, "write");
      done += w;
    }
    ioff += n;
    ooff += n;
    left -= static_cast<uint64_t>(n);
  }
  return ok_status();
}

// Whether copy_file_range can beat copying through a buffer on the file system holding `fd`: where
// it shares extents (btrfs, XFS, OCFS2, bcachefs, ZFS block cloning) or copies on the server (NFS,
// SMB). Elsewhere (ext4, tmpfs, ...) the kernel splices page by page through a pipe, which was
// measured slower than 1 MiB pread/pwrite: 263 MB of a vmlinux in 75 ms against 60 ms on ext4,
// 96 ms (sendfile; tmpfs refuses copy_file_range) against 90 ms on tmpfs (docs/benchmarks.md).
bool copy_range_pays(int fd) {
  constexpr long kBcachefs = 0xca451a4e, kZfs = 0x2fc12fc1, kSmb2 = 0xfe534d42;
  struct statfs st;
  if (fstatfs(fd, &st) != 0) return false;
  switch (static_cast<long>(st.f_type)) {
    case BTRFS_SUPER_MAGIC: case XFS_SUPER_MAGIC: case OCFS2_SUPER_MAGIC: case kBcachefs: case kZfs:
    case NFS_SUPER_MAGIC: case static_cast<long>(CIFS_SUPER_MAGIC): case kSmb2:
      return true;
    default:
      return false;
  }
}

// The process's umask, read once (/proc/self/status, Linux 4.7+) without changing it (umask(2) can
// only be read by setting it, which would race with other threads creating files); 07777 when
// unknown, so every temp gets its mode from fchmod. elfhash never changes its umask; a forked child
// (tests) reads it again.
std::atomic<bool> g_umask_known{false};
std::atomic<mode_t> g_umask{07777};
mode_t process_umask() {
  static std::once_flag at_fork;
  std::call_once(at_fork, [] { pthread_atfork(nullptr, nullptr, [] { g_umask_known.store(false); }); });
  if (!g_umask_known.load()) {
    mode_t mask = 07777;
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("Umask:", 0) == 0) mask = static_cast<mode_t>(std::strtoul(line.c_str() + 6, nullptr, 8));
    g_umask.store(mask);
    g_umask_known.store(true);
  }
  return g_umask.load();
}

// Creates `prefix` + 6 characters from [A-Za-z0-9] with O_EXCL and mode `mode` (minus the umask;
// create() adds what the umask took with fchmod), like mkostemp but with the final mode at creation,
// which saves the fchmod of every temp. The names come from a per-process random seed and a counter:
// unpredictable enough, and O_EXCL makes a taken name a retry, never a reuse.
int create_temp(const std::string& prefix, uint32_t mode, std::string* name) {
  static std::atomic<uint64_t> counter{[] {
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, 0) != sizeof seed) seed = static_cast<uint64_t>(time(nullptr)) ^ getpid();
    return seed;
  }()};
  static const char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  for (int attempt = 0; attempt < 100; ++attempt) {
    uint64_t x = counter.fetch_add(0x9e3779b97f4a7c15ull, std::memory_order_relaxed);  // splitmix64
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    x ^= x >> 31;
    *name = prefix;
    for (int i = 0; i < 6; ++i, x /= 62) *name += kChars[x % 62];
    int fd = ::open(name->c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  errno = EEXIST;
  return -1;
}

}  // namespace

Result<AtomicFile> AtomicFile::create(const std::string& target, uint32_t mode, bool fsync) {
  AtomicFile f;
  f.path_ = target;
  f.mode_ = mode & 07777;
  f.fsync_ = fsync;
  std::string path = target;
  struct stat st;
  bool exists = lstat(target.c_str(), &st) == 0;
  if (exists && S_ISLNK(st.st_mode)) {
    // Replace what the link points to, not the link (GNU strip/objcopy keep symlinks too).
    if (char* real = realpath(target.c_str(), nullptr)) {
      path = real;
      std::free(real);
    }
    exists = stat(path.c_str(), &st) == 0;
  }
  if (exists && !S_ISREG(st.st_mode)) {
    // Renaming over /dev/null would replace the device node with a regular file.
    f.fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (f.fd_ < 0) return sys_error(target, "cannot open output");
    f.stream_ = true;
    return f;
  }
  f.in_place_ = exists && st.st_nlink > 1;
  f.path_ = path;
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  remove_stale_temps(dir);
  std::string prefix = (slash == std::string::npos ? "" : dir) + "." + base + "." + temp_infix("");
  with_cleanup_lock([&] {
    f.fd_ = create_temp(prefix, f.mode_, &f.tmp_);
    if (f.fd_ >= 0) f.temp_id_ = register_temp(f.tmp_, TempKind::kFile);
    else f.tmp_.clear();  // not ours: never unlinked by the destructor
  });
  if (f.fd_ < 0) return sys_error(path, "cannot create temporary output file");
  f.replaces_ = exists;
  flock(f.fd_, LOCK_EX);  // marks the temp as live for remove_stale_temps in other processes
  if ((f.mode_ & ~process_umask()) != f.mode_ && fchmod(f.fd_, f.mode_) != 0) return sys_error(path, "fchmod");
  return f;
}

AtomicFile::AtomicFile(AtomicFile&& o) noexcept
    : path_(std::move(o.path_)),
      tmp_(std::move(o.tmp_)),
      fd_(o.fd_),
      temp_id_(o.temp_id_),
      mode_(o.mode_),
      fsync_(o.fsync_),
      in_place_(o.in_place_),
      replaces_(o.replaces_),
      end_(o.end_),
      committed_(o.committed_),
      stream_(o.stream_),
      no_copy_range_(o.no_copy_range_),
      copy_range_checked_(o.copy_range_checked_),
      mem_(std::move(o.mem_)) {
  o.fd_ = -1;
  o.temp_id_ = 0;
  o.tmp_.clear();
  o.committed_ = true;
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !tmp_.empty()) ::unlink(tmp_.c_str());
  unregister_temp(temp_id_);
}

Status pwrite_all(int fd, uint64_t offset, std::span<const uint8_t> data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error(path, "write");
    }
    done += static_cast<size_t>(n);
  }
  return ok_status();
}

Status AtomicFile::write_at(uint64_t offset, std::span<const uint8_t> data) {
  if (stream_) {
    if (offset + data.size() > mem_.size()) mem_.resize(offset + data.size());
    std::copy(data.begin(), data.end(), mem_.begin() + static_cast<ptrdiff_t>(offset));
    end_ = std::max<uint64_t>(end_, offset + data.size());
    return ok_status();
  }
  EH_TRY(pwrite_all(fd_, offset, data, path_));
  if (offset + data.size() > end_) end_ = offset + data.size();
  return ok_status();
}

Status AtomicFile::append(std::span<const uint8_t> data) { return write_at(end_, data); }

Status AtomicFile::zero_range(uint64_t offset, uint64_t size) {
  if (stream_ || offset >= end_) return ok_status();  // (nothing written there: it reads as zeros)
  size = std::min(size, end_ - offset);
  // A hole where the file system can punch one (ext4, XFS, btrfs, tmpfs), else written zeros.
  if (fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                static_cast<off_t>(size)) == 0)
    return ok_status();
  if (errno != EOPNOTSUPP && errno != ENOSYS) return sys_error(path_, "fallocate");
  static const uint8_t kZeros[64 << 10] = {};
  for (uint64_t done = 0; done < size;) {
    const uint64_t n = std::min<uint64_t>(size - done, sizeof kZeros);
    EH_TRY(pwrite_all(fd_, offset + done, {kZeros, n}, path_));
    done += n;
  }
  return ok_status();
}

Status AtomicFile::write_spans(std::span<const std::span<const uint8_t>> spans) {
  if (stream_) {
    for (const auto& sp : spans) EH_TRY(append(sp));
    return ok_status();
  }
  std::vector<iovec> iov;
  iov.reserve(spans.size());
  for (const auto& sp : spans)
    if (!sp.empty()) iov.push_back({const_cast<uint8_t*>(sp.data()), sp.size()});
  size_t first = 0;
  while (first < iov.size()) {
    const int count = static_cast<int>(std::min<size_t>(iov.size() - first, IOV_MAX));
    ssize_t n = pwritev(fd_, iov.data() + first, count, static_cast<off_t>(end_));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return sys_error(path_, "write");
    end_ += static_cast<uint64_t>(n);
    for (size_t left = static_cast<size_t>(n); left > 0;) {  // skip what was written, maybe mid-span
      size_t take = std::min(left, iov[first].iov_len);
      iov[first].iov_base = static_cast<uint8_t*>(iov[first].iov_base) + take;
      iov[first].iov_len -= take;
      left -= take;
      if (iov[first].iov_len == 0) ++first;
    }
  }
  return ok_status();
}

Status AtomicFile::copy_from(int in_fd, uint64_t in_off, uint64_t out_off, uint64_t size) {
  if (stream_) {
    std::vector<uint8_t> buf;
    for (uint64_t done = 0; done < size;) {
      buf.resize(std::min<uint64_t>(size - done, 1 << 20));
      ssize_t n = pread(in_fd, buf.data(), buf.size(), static_cast<off_t>(in_off + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return sys_error(path_, "read while copying");
      EH_TRY(write_at(out_off + done, {buf.data(), static_cast<size_t>(n)}));
      done += static_cast<uint64_t>(n);
    }
    return ok_status();
  }
  if (!copy_range_checked_) {  // at the first copy: small outputs never pay for the fstatfs
    no_copy_range_ = !copy_range_pays(fd_);
    copy_range_checked_ = true;
  }
  EH_TRY(copy_range(in_fd, in_off, fd_, out_off, size, path_, no_copy_range_));
  if (out_off + size > end_) end_ = out_off + size;
  return ok_status();
}

Status AtomicFile::truncate(uint64_t size) {
  if (stream_) {
    mem_.resize(size);
    end_ = size;
    return ok_status();
  }
  if (ftruncate(fd_, static_cast<off_t>(size)) != 0) return sys_error(path_, "ftruncate");
  end_ = size;
  return ok_status();
}

Status AtomicFile::commit() {
  if (stream_) {
    for (size_t done = 0; done < mem_.size();) {
      ssize_t n = ::write(fd_, mem_.data() + done, mem_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return sys_error(path_, "write");
      done += static_cast<size_t>(n);
    }
    committed_ = true;
  }
  if (in_place_) return commit_in_place();
  if (fsync_ && !stream_ && ::fsync(fd_) != 0) return sys_error(path_, "fsync");
  if (::close(fd_) != 0) {
    fd_ = -1;
    return sys_error(path_, "close");
  }
  fd_ = -1;
  if (stream_) return ok_status();
  int err = 0;
  bool swapped = false;
  with_cleanup_lock([&] {  // a signal's cleanup sees the temp either unrenamed or published
    // Replacing: swap the two names and unlink the old file after, instead of renaming over it. Same
    // atomicity (the target is entirely old or entirely new at every instant), but ext4's rename-over
    // heuristic (auto_da_alloc: allocate and start writing the new file's blocks inside rename(2))
    // is not triggered: the writeback happens later, as for any new file. Cost: durability against a
    // power cut is then only what --fsync gives (docs/cli.md). Falls back to rename where the file
    // system has no RENAME_EXCHANGE or the target is gone.
    swapped = replaces_ && ::renameat2(AT_FDCWD, tmp_.c_str(), AT_FDCWD, path_.c_str(), RENAME_EXCHANGE) == 0;
    if (!swapped && ::rename(tmp_.c_str(), path_.c_str()) != 0) {
      err = errno;
      return;
    }
    committed_ = true;
    if (swapped) return;  // tmp_ now names the old file: still registered until it is unlinked below
    unregister_temp(temp_id_);
    temp_id_ = 0;
  });
  if (err) {
    errno = err;
    return sys_error(path_, "rename");
  }
  if (swapped) {
    int rc = ::unlink(tmp_.c_str());
    err = errno;
    unregister_temp(temp_id_);
    temp_id_ = 0;
    if (rc != 0) {
      errno = err;
      return sys_error(tmp_, "replaced, but cannot remove the old file");
    }
  }
  if (fsync_) return fsync_parent_dir(path_);
  return ok_status();
}

// GNU's smart_rename/simple_copy (binutils 2.40 rename.c): open the target without creating it, copy
// the new bytes in, restore the mode; the inode, its other names and its owner stay.
Status AtomicFile::commit_in_place() {
  Status st = ok_status();
  with_cleanup_lock([&] {
    int out = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC);
    if (out < 0) {
      st = sys_error(path_, "cannot open output");
      return;
    }
    bool no_cfr = !copy_range_pays(out);
    st = copy_range(fd_, 0, out, 0, end_, path_, no_cfr);
    if (st.ok() && ftruncate(out, static_cast<off_t>(end_)) != 0) st = sys_error(path_, "ftruncate");
    if (st.ok() && fchmod(out, mode_) != 0) st = sys_error(path_, "fchmod");
    if (st.ok() && fsync_ && ::fsync(out) != 0) st = sys_error(path_, "fsync");
    if (::close(out) != 0 && st.ok()) st = sys_error(path_, "close");
    if (!st.ok()) return;
    ::close(fd_);
    fd_ = -1;
    ::unlink(tmp_.c_str());
    committed_ = true;
    unregister_temp(temp_id_);
    temp_id_ = 0;
  });
  return st;
}

Status fsync_parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return sys_error(dir, "open directory for fsync");
  int rc = ::fsync(fd);
  int e = errno;
  ::close(fd);
  errno = e;
  if (rc != 0) return sys_error(dir, "fsync");
  return ok_status();
}

Status write_file_atomic(const std::string& path, std::span<const uint8_t> data, uint32_t mode, bool fsync) {
  EH_ASSIGN(auto f, AtomicFile::create(path, mode, fsync));
  EH_TRY(f.append(data));
  return f.commit();
}

}  // namespace elfhash
