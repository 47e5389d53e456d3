#include "merkle/install/staging.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <climits>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "elf/atomic_file.h"
#include "elf/cleanup.h"
#include "merkle/order.h"

namespace elfhash::merkle {
namespace fs = std::filesystem;
namespace {

Error sys_error(const std::string& path, const std::string& what) {
  return make_error(path, kNoOffset, what + ": " + std::strerror(errno));
}

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(Fd&& o) noexcept : fd(o.fd) { o.fd = -1; }
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// Opens directory `name` below `dfd`, creating it (mode 0755 exactly, set through the new directory's
// own descriptor: the umask and symlinks play no part) when missing. An existing directory, or a
// symlink to one (usrmerge's /lib), is used as it is.
Result<int> open_dir_at(int dfd, const std::string& name, const std::string& shown, bool* created) {
  int fd = ::openat(dfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0 || errno != ENOENT) {
    if (fd < 0) return sys_error(shown, "cannot open directory");
    return fd;
  }
  bool made = ::mkdirat(dfd, name.c_str(), 0700) == 0;
  if (!made && errno != EEXIST) return sys_error(shown, "cannot create directory");
  fd = ::openat(dfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return sys_error(shown, "cannot open directory");
  if (::fchmod(fd, 0755) != 0) {
    ::close(fd);
    return sys_error(shown, "fchmod");
  }
  if (created) *created = made;  // EEXIST: another process made it first; it is theirs
  return fd;
}

// Walks (creating) the directories of `rel` below `base`; returns the descriptor of the last one.
// `made` collects the paths created (for fsync).
Result<int> walk_dirs(int base, const std::string& base_path, const fs::path& rel, std::vector<std::string>* made) {
  int cur = ::dup(base);
  if (cur < 0) return sys_error(base_path, "dup");
  std::string shown = base_path;
  for (const auto& part : rel) {
    shown = join_path(shown, part.string());
    bool created = false;
    auto next = open_dir_at(cur, part.string(), shown, &created);
    ::close(cur);
    if (!next.ok()) return next.error();
    cur = *next;
    if (created && made) made->push_back(shown);
  }
  return cur;
}

Status fsync_path(const std::string& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return sys_error(p, "open for fsync");
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return sys_error(p, "fsync");
  return ok_status();
}

Status write_all(int fd, const std::string& path, std::initializer_list<std::span<const uint8_t>> parts) {
  std::vector<iovec> iov;
  for (auto p : parts)
    if (!p.empty()) iov.push_back({const_cast<uint8_t*>(p.data()), p.size()});
  size_t first = 0;
  while (first < iov.size()) {
    ssize_t n = ::writev(fd, iov.data() + first, static_cast<int>(std::min<size_t>(iov.size() - first, IOV_MAX)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sys_error(path, "write");
    auto left = static_cast<size_t>(n);
    while (first < iov.size() && left >= iov[first].iov_len) left -= iov[first++].iov_len;
    if (first < iov.size()) {
      iov[first].iov_base = static_cast<uint8_t*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  return ok_status();
}

}  // namespace

Result<StagingDir> StagingDir::create(const std::string& out, bool fsync) {
  fs::path o = fs::path(out).lexically_normal();
  if (!o.has_filename()) o = o.parent_path();  // "dir/" -> "dir"
  if (o.empty() || o == "." || o == "..")
    return make_error(out, kNoOffset, "the staging directory must be a new or empty directory, not the current one");
  fs::path parent = o.parent_path().empty() ? fs::path(".") : o.parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) return make_error(parent.string(), kNoOffset, "cannot create directory: " + ec.message());
  remove_stale_temps(parent.string());
  StagingDir d;
  d.out_ = o.string();
  d.fsync_ = fsync;
  struct stat st;
  if (::lstat(d.out_.c_str(), &st) == 0 && !S_ISDIR(st.st_mode) && !(S_ISLNK(st.st_mode) && fs::is_directory(o, ec)))
    return make_error(d.out_, kNoOffset, "exists and is not a directory");
  Status made = ok_status();
  with_cleanup_lock([&] {
    bool created = false;
    auto fd = open_dir_at(AT_FDCWD, d.out_, d.out_, &created);
    if (!fd.ok()) {
      made = fd.error();
      return;
    }
    d.out_fd_ = *fd;
    d.created_out_ = created;
    if (created) d.out_id_ = register_temp(d.out_, TempKind::kEmptyDir);
  });
  EH_TRY(made);
  if (::flock(d.out_fd_, LOCK_EX | LOCK_NB) != 0)
    return make_error(d.out_, kNoOffset, errno == EWOULDBLOCK
                                             ? "another elfhash seal is writing into this directory; nothing was written"
                                             : std::string("flock: ") + std::strerror(errno));
  std::string tmpl = (parent / ("." + o.filename().string() + "." + temp_infix("seal-") + "XXXXXX")).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  bool ok = false;
  with_cleanup_lock([&] {
    ok = ::mkdtemp(buf.data()) != nullptr;
    if (ok) d.tmp_id_ = register_temp(buf.data(), TempKind::kTree);
  });
  if (!ok) return sys_error(tmpl, "cannot create temporary staging directory");
  d.tmp_ = buf.data();
  d.tmp_fd_ = ::open(d.tmp_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (d.tmp_fd_ < 0) return sys_error(d.tmp_, "cannot open temporary staging directory");
  ::flock(d.tmp_fd_, LOCK_EX);  // live marker for remove_stale_temps; after publication, STAGING's lock
  if (::fchmod(d.tmp_fd_, 0755) != 0) return sys_error(d.tmp_, "fchmod");
  return d;
}

StagingDir::StagingDir(StagingDir&& o) noexcept
    : out_(std::move(o.out_)),
      tmp_(std::move(o.tmp_)),
      out_fd_(o.out_fd_),
      tmp_fd_(o.tmp_fd_),
      tmp_id_(o.tmp_id_),
      out_id_(o.out_id_),
      fsync_(o.fsync_),
      created_out_(o.created_out_),
      published_(o.published_),
      dirs_(std::move(o.dirs_)) {
  o.tmp_.clear();
  o.out_fd_ = o.tmp_fd_ = -1;
  o.tmp_id_ = o.out_id_ = 0;
  o.created_out_ = false;
}

StagingDir::~StagingDir() {
  if (!tmp_.empty()) {
    std::error_code ec;
    fs::remove_all(tmp_, ec);  // after publish() only what was replaced remains there
  }
  unregister_temp(tmp_id_);
  if (created_out_ && !published_) ::rmdir(out_.c_str());
  unregister_temp(out_id_);
  if (tmp_fd_ >= 0) ::close(tmp_fd_);
  if (out_fd_ >= 0) ::close(out_fd_);
}

std::string StagingDir::path(const std::string& rel) const { return join_path(tmp_, rel); }

Status StagingDir::make_dirs(const std::string& rel) {
  EH_ASSIGN(int fd, walk_dirs(tmp_fd_, tmp_, fs::path(rel), &dirs_));
  ::close(fd);
  return ok_status();
}

Status StagingDir::write_file(const std::string& rel, std::initializer_list<std::span<const uint8_t>> parts,
                              uint32_t mode, Sync sync) {
  std::string p = path(rel);
  int fd = ::openat(tmp_fd_, rel.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 07777);
  if (fd < 0) return sys_error(p, "cannot create");
  Status st = write_all(fd, p, parts);
  if (st.ok() && ::fchmod(fd, mode & 07777) != 0) st = sys_error(p, "fchmod");
  if (st.ok() && fsync_ && sync == kDone && ::fsync(fd) != 0) st = sys_error(p, "fsync");
  if (::close(fd) != 0 && st.ok()) st = sys_error(p, "close");
  return st;
}

Status StagingDir::append_file(const std::string& rel, std::initializer_list<std::span<const uint8_t>> parts) {
  std::string p = path(rel);
  int fd = ::openat(tmp_fd_, rel.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return sys_error(p, "cannot open to append");
  Status st = write_all(fd, p, parts);
  if (st.ok() && fsync_ && ::fsync(fd) != 0) st = sys_error(p, "fsync");
  if (::close(fd) != 0 && st.ok()) st = sys_error(p, "close");
  return st;
}

Status StagingDir::sync_file(const std::string& rel) const {
  return fsync_ ? fsync_path(path(rel)) : ok_status();
}

Status StagingDir::sync_tree() const {
  if (!fsync_) return ok_status();
  for (const auto& d : dirs_) EH_TRY(fsync_path(d));
  if (::fsync(tmp_fd_) != 0) return sys_error(tmp_, "fsync");
  return ok_status();
}

Status StagingDir::move_out(const std::string& rel, const std::string& dst) {
  EH_TRY(sync_tree());
  int err = 0;
  with_cleanup_lock([&] {
    if (::renameat(tmp_fd_, rel.c_str(), AT_FDCWD, dst.c_str()) != 0) err = errno;
  });
  if (err) {
    errno = err;
    return sys_error(dst, "cannot move into place");
  }
  return fsync_ ? fsync_parent_dir(dst) : ok_status();
}

// Swaps each entry of `replace` with its counterpart in out_ (or moves it there if there is none); on a
// failure, the swaps already made are undone, so STAGING is entirely old or entirely new.
Status StagingDir::exchange_into_out(const std::vector<std::string>& replace) {
  struct Done {
    std::string rel, name;
    Fd parent;
    bool swapped;
  };
  std::vector<Done> done;
  Status st = ok_status();
  for (const auto& rel : replace) {
    fs::path r(rel);
    std::string dst = join_path(out_, rel), name = r.filename().string();
    auto pfd = walk_dirs(out_fd_, out_, r.parent_path(), nullptr);
    if (!pfd.ok()) {
      st = pfd.error();
      break;
    }
    Fd parent(*pfd);
    bool swapped = ::renameat2(tmp_fd_, rel.c_str(), parent.fd, name.c_str(), RENAME_EXCHANGE) == 0;
    if (!swapped) {
      if (errno != ENOENT) {
        st = sys_error(dst, "cannot replace");
        break;
      }
      if (::renameat2(tmp_fd_, rel.c_str(), parent.fd, name.c_str(), RENAME_NOREPLACE) != 0) {
        st = sys_error(dst, "cannot move into place");
        break;
      }
    }
    done.push_back({rel, name, std::move(parent), swapped});
  }
  if (st.ok()) {
    if (fsync_)
      for (const auto& d : done)
        if (::fsync(d.parent.fd) != 0) return sys_error(join_path(out_, d.rel), "fsync");
    return st;
  }
  for (auto it = done.rbegin(); it != done.rend(); ++it)
    ::renameat2(it->parent.fd, it->name.c_str(), tmp_fd_, it->rel.c_str(), it->swapped ? RENAME_EXCHANGE : RENAME_NOREPLACE);
  return st;
}

Status StagingDir::publish(const std::vector<std::string>& replace) {
  EH_TRY(sync_tree());
  std::error_code ec;
  Status st = ok_status();
  with_cleanup_lock([&] {
    if (fs::is_empty(out_, ec) && !ec) {
      // The whole tree swaps with the empty STAGING, which ends up at tmp_ and is removed with it.
      if (::renameat2(AT_FDCWD, tmp_.c_str(), AT_FDCWD, out_.c_str(), RENAME_EXCHANGE) != 0)
        st = sys_error(out_, "cannot move the staging tree into place");
      else if (fsync_)
        st = fsync_parent_dir(out_);
    } else {
      st = exchange_into_out(replace);
    }
    if (st.ok()) published_ = true;
  });
  return st;
}

}  // namespace elfhash::merkle
