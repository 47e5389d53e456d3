#include "elf/atomic_file.h"

#include <fcntl.h>
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

namespace elfhash {
namespace {

Error sys_error(const std::string& path, const char* what) {
  return make_error(path, kNoOffset, std::string(what) + ": " + std::strerror(errno));
}

}  // namespace

Result<AtomicFile> AtomicFile::create(const std::string& target, uint32_t mode) {
  AtomicFile f;
  f.path_ = target;
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
  f.path_ = path;
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string tmpl = (slash == std::string::npos ? "" : dir) + "." + base + ".elfhash-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  f.fd_ = mkostemp(buf.data(), O_CLOEXEC);
  if (f.fd_ < 0) return sys_error(path, "cannot create temporary output file");
  f.tmp_ = buf.data();
  if (fchmod(f.fd_, mode & 07777) != 0) return sys_error(path, "fchmod");
  return f;
}

AtomicFile::AtomicFile(AtomicFile&& o) noexcept
    : path_(std::move(o.path_)),
      tmp_(std::move(o.tmp_)),
      fd_(o.fd_),
      end_(o.end_),
      committed_(o.committed_),
      stream_(o.stream_),
      no_copy_range_(o.no_copy_range_),
      no_sendfile_(o.no_sendfile_),
      mem_(std::move(o.mem_)) {
  o.fd_ = -1;
  o.tmp_.clear();
  o.committed_ = true;
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !tmp_.empty()) ::unlink(tmp_.c_str());
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
  loff_t ioff = static_cast<loff_t>(in_off), ooff = static_cast<loff_t>(out_off);
  uint64_t left = size;
  // In-kernel copies first, each tried until the kernel says it cannot do it for this pair of files:
  // copy_file_range (same file system), then sendfile (any two files; one copy, no user buffer).
  while (left > 0 && !stream_ && !no_copy_range_) {
    ssize_t n = copy_file_range(in_fd, &ioff, fd_, &ooff, left, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      no_copy_range_ = true;  // EXDEV (other file system), ENOSYS, EOPNOTSUPP, ...
      break;
    }
    left -= static_cast<uint64_t>(n);
  }
  if (left > 0 && !stream_ && !no_sendfile_) {
    if (lseek(fd_, ooff, SEEK_SET) != ooff) return sys_error(path_, "lseek");
    while (left > 0) {
      ssize_t n = sendfile(fd_, in_fd, &ioff, std::min<uint64_t>(left, 1u << 30));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        no_sendfile_ = true;
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
    if (n <= 0) return sys_error(path_, "read while copying");
    EH_TRY(write_at(static_cast<uint64_t>(ooff), {buf.data(), static_cast<size_t>(n)}));
    ioff += n;
    ooff += n;
    left -= static_cast<uint64_t>(n);
  }
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
  if (::close(fd_) != 0) {
    fd_ = -1;
    return sys_error(path_, "close");
  }
  fd_ = -1;
  if (stream_) return ok_status();
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) return sys_error(path_, "rename");
  committed_ = true;
  return ok_status();
}

Status write_file_atomic(const std::string& path, std::span<const uint8_t> data, uint32_t mode) {
  EH_ASSIGN(auto f, AtomicFile::create(path, mode));
  EH_TRY(f.append(data));
  return f.commit();
}

}  // namespace elfhash
