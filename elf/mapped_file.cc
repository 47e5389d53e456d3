#include "elf/mapped_file.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>

#include "elf/cleanup.h"

namespace elfhash {
namespace {

// Mappings the SIGBUS handler may repair. Claimed with `used`, then `end`, then `begin` is published;
// the handler reads begin/end only (lock-free, async-signal-safe).
struct GuardSlot {
  std::atomic<bool> used{false};
  std::atomic<uintptr_t> begin{0}, end{0};
  std::atomic<bool> hit{false};
};
constexpr int kGuardSlots = 256;
GuardSlot g_slots[kGuardSlots];
uintptr_t g_page = 4096;

void on_sigbus(int, siginfo_t* si, void*) {
  auto a = reinterpret_cast<uintptr_t>(si->si_addr);
  for (auto& s : g_slots) {
    uintptr_t b = s.begin.load(std::memory_order_acquire), e = s.end.load(std::memory_order_acquire);
    if (b == 0 || a < b || a >= e) continue;
    // The file shrank below this page: the rest of the mapping becomes zero pages (mmap is a plain
    // system call, safe here), the faulting load is retried and reads 0, check_unchanged() fails.
    uintptr_t page = a & ~(g_page - 1);
    if (mmap(reinterpret_cast<void*>(page), e - page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
        MAP_FAILED)
      break;
    s.hit.store(true);
    return;
  }
  // Not one of ours: the default action (the fault repeats on return).
  signal(SIGBUS, SIG_DFL);
}

int claim_guard(const uint8_t* p, size_t size) {
  static std::once_flag once;
  std::call_once(once, [] {
    g_page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    struct sigaction sa = {};
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, nullptr);
  });
  for (int i = 0; i < kGuardSlots; ++i) {
    bool expected = false;
    if (!g_slots[i].used.compare_exchange_strong(expected, true)) continue;
    auto b = reinterpret_cast<uintptr_t>(p);
    g_slots[i].hit.store(false);
    g_slots[i].end.store((b + size + g_page - 1) & ~(g_page - 1), std::memory_order_release);
    g_slots[i].begin.store(b, std::memory_order_release);
    return i;
  }
  return -1;
}

void release_guard(int i) {
  g_slots[i].begin.store(0, std::memory_order_release);
  g_slots[i].end.store(0, std::memory_order_release);
  g_slots[i].used.store(false);
}

bool same_time(const timespec& a, const timespec& b) { return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec; }

// What differs between two stats of the same input, or "" if nothing does.
std::string difference(const struct stat& was, const struct stat& now) {
  if (was.st_dev != now.st_dev || was.st_ino != now.st_ino) return "replaced (another inode)";
  if (was.st_size != now.st_size) return fmt::format("size {} -> {}", was.st_size, now.st_size);
  if (!same_time(was.st_mtim, now.st_mtim)) return "modified (mtime)";
  if (!same_time(was.st_ctim, now.st_ctim)) return "modified (ctime)";
  return "";
}

Error changed(const std::string& path, const std::string& what) {
  return make_error(path, kNoOffset,
                    fmt::format("input changed while elfhash was using it ({}); nothing was written", what));
}

}  // namespace

Result<std::shared_ptr<MappedFile>> MappedFile::open_fd(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(path, kNoOffset, std::strerror(errno));
  std::shared_ptr<MappedFile> f(new MappedFile());
  f->path_ = path;
  f->fd_ = fd;
  if (fstat(fd, &f->st_) != 0) return make_error(path, kNoOffset, std::strerror(errno));
  if (!S_ISREG(f->st_.st_mode)) return make_error(path, kNoOffset, "not a regular file");
  f->size_ = static_cast<size_t>(f->st_.st_size);
  f->mode_ = f->st_.st_mode & 07777;
  return f;
}

Result<std::shared_ptr<MappedFile>> MappedFile::open(const std::string& path) {
  EH_ASSIGN(auto f, open_fd(path));
  if (f->size_ == 0) return f;
  void* p = mmap(nullptr, f->size_, PROT_READ, MAP_PRIVATE, f->fd_, 0);
  if (p == MAP_FAILED) return make_error(path, kNoOffset, std::string("mmap: ") + std::strerror(errno));
  f->data_ = static_cast<const uint8_t*>(p);
  f->mapped_ = true;
  f->guard_ = claim_guard(f->data_, f->size_);
  if (f->guard_ < 0) return read(path);  // every slot taken (thousands of inputs at once): copy instead
  stop_point("mapped");
  return f;
}

Result<std::shared_ptr<MappedFile>> MappedFile::read(const std::string& path) {
  EH_ASSIGN(auto f, open_fd(path));
  f->copy_.resize(f->size_);
  for (size_t done = 0; done < f->size_;) {
    ssize_t n = ::pread(f->fd_, f->copy_.data() + done, f->size_ - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(path, done, std::string("read: ") + std::strerror(errno));
    if (n == 0) return changed(path, fmt::format("end of file at {} bytes, {} expected", done, f->size_));
    done += static_cast<size_t>(n);
  }
  f->data_ = f->copy_.data();
  EH_TRY(f->check_unchanged());  // the copy is one version of the file, not a mix of two
  return f;
}

Status MappedFile::check_unchanged() const {
  if (whole_) return whole_->check_unchanged();
  if (fd_ < 0) return ok_status();
  if (guard_ >= 0 && g_slots[guard_].hit.load()) return changed(path_, "truncated while mapped");
  struct stat now;
  if (fstat(fd_, &now) != 0) return make_error(path_, kNoOffset, std::strerror(errno));
  if (now.st_nlink == 0) return changed(path_, "removed");
  std::string d = difference(st_, now);
  if (d.empty()) {
    if (::stat(path_.c_str(), &now) != 0) return changed(path_, std::string("removed: ") + std::strerror(errno));
    if (now.st_dev != st_.st_dev || now.st_ino != st_.st_ino) d = "the path names another file now";
  }
  if (!d.empty()) return changed(path_, d);
  return ok_status();
}

std::shared_ptr<MappedFile> MappedFile::from_memory(std::span<const uint8_t> bytes, std::string name) {
  std::shared_ptr<MappedFile> f(new MappedFile());
  f->path_ = std::move(name);
  f->data_ = bytes.data();
  f->size_ = bytes.size();
  return f;
}

std::shared_ptr<MappedFile> MappedFile::prefix(std::shared_ptr<MappedFile> whole, size_t size) {
  auto f = from_memory(whole->bytes().first(size), whole->path());
  f->mode_ = whole->mode_;
  f->whole_ = std::move(whole);
  return f;
}

MappedFile::~MappedFile() {
  if (guard_ >= 0) release_guard(guard_);
  if (mapped_) munmap(const_cast<uint8_t*>(data_), size_);
  if (fd_ >= 0 && close_later_) close_later(fd_);
  else if (fd_ >= 0) ::close(fd_);
}

namespace {

struct Closer {
  std::mutex mu;
  std::condition_variable work, idle;
  std::deque<int> fds;
  int busy = 0;
  int threads = 0;
};

// Never destroyed: its threads may still be waiting for work while exit() destroys statics.
Closer& closer() {
  static Closer* c = new Closer;
  return *c;
}

[[noreturn]] void close_loop(Closer* c) {
  std::unique_lock lock(c->mu);
  for (;;) {
    c->work.wait(lock, [&] { return !c->fds.empty(); });
    int fd = c->fds.front();
    c->fds.pop_front();
    ++c->busy;
    lock.unlock();
    ::close(fd);
    lock.lock();
    --c->busy;
    if (c->fds.empty() && c->busy == 0) c->idle.notify_all();
  }
}

}  // namespace

void close_later(int fd) {
  constexpr int kThreads = 2;
  Closer& c = closer();
  std::unique_lock lock(c.mu);
  while (c.threads < kThreads) {
    try {
      std::thread(close_loop, &c).detach();
      ++c.threads;
    } catch (const std::system_error&) {
      break;
    }
  }
  if (c.threads == 0) {
    lock.unlock();
    ::close(fd);
    return;
  }
  c.fds.push_back(fd);
  c.work.notify_one();
}

void wait_background_closes() {
  Closer& c = closer();
  std::unique_lock lock(c.mu);
  c.idle.wait(lock, [&] { return c.fds.empty() && c.busy == 0; });
}

}  // namespace elfhash
