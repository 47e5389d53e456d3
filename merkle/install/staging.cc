#include "merkle/install/staging.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <climits>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "merkle/order.h"

namespace elfhash::merkle {
namespace fs = std::filesystem;
namespace {

Error sys_error(const std::string& path, const std::string& what) {
  return make_error(path, kNoOffset, what + ": " + std::strerror(errno));
}

// mkdir + chmod: the mode must not depend on the umask (determinism, HELPERS.md).
Status make_dir(const std::string& p) {
  if (::mkdir(p.c_str(), 0755) != 0 && errno != EEXIST) return sys_error(p, "cannot create directory");
  if (::chmod(p.c_str(), 0755) != 0) return sys_error(p, "chmod");
  return ok_status();
}

bool is_empty_dir(const std::string& p) {
  std::error_code ec;
  return fs::is_directory(p, ec) && fs::is_empty(p, ec) && !ec;
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

Result<StagingDir> StagingDir::create(const std::string& out) {
  fs::path o = fs::path(out).lexically_normal();
  if (!o.has_filename()) o = o.parent_path();  // "dir/" -> "dir"
  if (o.empty() || o == "." || o == "..")
    return make_error(out, kNoOffset, "the staging directory must be a new or empty directory, not the current one");
  fs::path parent = o.parent_path().empty() ? fs::path(".") : o.parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) return make_error(parent.string(), kNoOffset, "cannot create directory: " + ec.message());
  StagingDir d;
  d.out_ = o.string();
  std::string tmpl = (parent / ("." + o.filename().string() + ".elfhash-seal-XXXXXX")).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) return sys_error(tmpl, "cannot create temporary staging directory");
  d.tmp_ = buf.data();
  EH_TRY(make_dir(d.tmp_));
  return d;
}

StagingDir::StagingDir(StagingDir&& o) noexcept
    : out_(std::move(o.out_)), tmp_(std::move(o.tmp_)), published_(o.published_) {
  o.tmp_.clear();
}

StagingDir::~StagingDir() {
  if (tmp_.empty()) return;
  std::error_code ec;
  fs::remove_all(tmp_, ec);  // after publish() only leftovers (replaced old trees) remain
}

std::string StagingDir::path(const std::string& rel) const { return join_path(tmp_, rel); }

Status StagingDir::make_dirs(const std::string& rel) {
  std::string cur = tmp_;
  for (const auto& part : fs::path(rel)) {
    cur = join_path(cur, part.string());
    EH_TRY(make_dir(cur));
  }
  return ok_status();
}

Status StagingDir::write_file(const std::string& rel, std::initializer_list<std::span<const uint8_t>> parts,
                              uint32_t mode) {
  std::string p = path(rel);
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777);
  if (fd < 0) return sys_error(p, "cannot create");
  Status st = write_all(fd, p, parts);
  if (st.ok() && ::fchmod(fd, mode & 07777) != 0) st = sys_error(p, "fchmod");
  if (::close(fd) != 0 && st.ok()) st = sys_error(p, "close");
  return st;
}

Status StagingDir::publish(const std::vector<std::string>& replace) {
  struct stat st;
  if (::lstat(out_.c_str(), &st) != 0 || is_empty_dir(out_)) {
    // rename(2) replaces an empty directory atomically.
    if (::rename(tmp_.c_str(), out_.c_str()) != 0) return sys_error(out_, "cannot move the staging tree into place");
    tmp_.clear();
    published_ = true;
    return ok_status();
  }
  if (!S_ISDIR(st.st_mode)) return make_error(out_, kNoOffset, "exists and is not a directory");
  // Merge: every replaced entry goes in with one rename; the old one is parked in the temporary tree
  // and removed with it.
  int n = 0;
  for (const auto& rel : replace) {
    std::string dst = join_path(out_, rel), src = path(rel);
    fs::path parent = fs::path(rel).parent_path();
    std::string cur = out_;
    for (const auto& part : parent) {
      cur = join_path(cur, part.string());
      EH_TRY(make_dir(cur));
    }
    std::string old = path(".old-" + std::to_string(n++));
    if (::rename(dst.c_str(), old.c_str()) != 0 && errno != ENOENT) return sys_error(dst, "cannot replace");
    if (::rename(src.c_str(), dst.c_str()) != 0) return sys_error(dst, "cannot move into place");
  }
  published_ = true;
  return ok_status();
}

}  // namespace elfhash::merkle
