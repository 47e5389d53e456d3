#include "elf/atomic_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "elf/cleanup.h"

namespace elfhash {
namespace {

Error sys_error(const std::string& path, const char* what) {
  return make_error(path, kNoOffset, std::string(what) + ": " + std::strerror(errno));
}

// Copies `size` bytes between two files: copy_file_range (same file system), then sendfile (any two
// files; one copy, no user buffer), then pread/pwrite; each in-kernel method is tried until the kernel
// says it cannot do it for this pair of files (the flags remember that).
Status copy_range(int in_fd, uint64_t in_off, int out_fd, uint64_t out_off, uint64_t size, const std::string& path,
                  bool& no_copy_range, bool& no_sendfile) {
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
  if (left > 0 && !no_sendfile) {
    if (lseek(out_fd, ooff, SEEK_SET) != ooff) return sys_error(path, "lseek");
    while (left > 0) {
      ssize_t n = sendfile(out_fd, in_fd, &ioff, std::min<uint64_t>(left, 1u << 30));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == ENOSPC || errno == EDQUOT || errno == EIO)) return sys_error(path, "write");
      if (n <= 0) {
        no_sendfile = true;
        break;
      }
      left -= static_cast<uint64_t>(n);
      ooff += n;
    }
  }
  std::vector<uint8_t> buf;
  while (left > 0) {
    buf.resize(std::min<uint64_t>(left, 1 << 20));
    ssize_t n = pread(in_fd, buf.data(), buf.size(), ioff);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return sys_error(path, "read while copying");
    for (ssize_t done = 0; done < n;) {
      ssize_t w = pwrite(out_fd, buf.data() + done, static_cast<size_t>(n - done), ooff + done);
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
  std::string tmpl = (slash == std::string::npos ? "" : dir) + "." + base + "." + temp_infix("") + "XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  with_cleanup_lock([&] {
    f.fd_ = mkostemp(buf.data(), O_CLOEXEC);
    if (f.fd_ >= 0) f.temp_id_ = register_temp(buf.data(), TempKind::kFile);
  });
  if (f.fd_ < 0) return sys_error(path, "cannot create temporary output file");
  f.tmp_ = buf.data();
  flock(f.fd_, LOCK_EX);  // marks the temp as live for remove_stale_temps in other processes
  if (fchmod(f.fd_, f.mode_) != 0) return sys_error(path, "fchmod");
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
      end_(o.end_),
      committed_(o.committed_),
      stream_(o.stream_),
      no_copy_range_(o.no_copy_range_),
      no_sendfile_(o.no_sendfile_),
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

Status AtomicFile::write_at(uint64_t offset, std::span<const uint8_t> data) {
  if (stream_) {
    if (offset + data.size() > mem_.size()) mem_.resize(offset + data.size());
    std::copy(data.begin(), data.end(), mem_.begin() + static_cast<ptrdiff_t>(offset));
    end_ = std::max<uint64_t>(end_, offset + data.size());
    return ok_status();
  }
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = pwrite(fd_, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error(path_, "write");
    }
    done += static_cast<size_t>(n);
  }
  if (offset + data.size() > end_) end_ = offset + data.size();
  return ok_status();
}

Status AtomicFile::append(std::span<const uint8_t> data) { return write_at(end_, data); }

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
  EH_TRY(copy_range(in_fd, in_off, fd_, out_off, size, path_, no_copy_range_, no_sendfile_));
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
  with_cleanup_lock([&] {  // a signal's cleanup sees the temp either unrenamed or published
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
      err = errno;
      return;
    }
    committed_ = true;
    unregister_temp(temp_id_);
    temp_id_ = 0;
  });
  if (err) {
    errno = err;
    return sys_error(path_, "rename");
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
    bool no_cfr = false, no_sf = false;
    st = copy_range(fd_, 0, out, 0, end_, path_, no_cfr, no_sf);
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
