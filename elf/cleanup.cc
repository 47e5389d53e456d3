#include "elf/cleanup.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <thread>

namespace elfhash {
namespace {

struct Temp {
  std::string path;
  TempKind kind;
};

struct Registry {
  // Creation and publication of temporaries hold `publish` shared, so worker threads creating and
  // renaming files in parallel do not wait for each other; the signal cleanup takes it exclusively
  // (and keeps it), so it runs entirely before or after each of them. `mu` guards the map alone.
  std::shared_mutex publish;
  std::atomic<bool> closing{false};
  std::mutex mu;
  std::map<uint64_t, Temp> temps;
  uint64_t next = 1;
  std::mutex scanned_mu;
  std::set<std::string> scanned;
};

// Never destroyed: the cleanup thread may run while exit() destroys statics.
Registry& registry() {
  static Registry* r = new Registry;
  return *r;
}

void remove_temp(const Temp& t) {
  std::error_code ec;
  switch (t.kind) {
    case TempKind::kFile:
      ::unlink(t.path.c_str());
      break;
    case TempKind::kEmptyDir:
      ::rmdir(t.path.c_str());
      break;
    case TempKind::kTree: {
      // Aside first: a worker that creates tmp/<rel> by path now gets ENOENT instead of recreating
      // entries behind remove_all. "_dying" keeps the stale-name form (mkdtemp never writes '_').
      std::string aside = t.path.substr(0, t.path.size() - 6) + "_dying";
      if (::rename(t.path.c_str(), aside.c_str()) != 0) aside = t.path;
      std::filesystem::remove_all(aside, ec);
      break;
    }
  }
}

std::atomic<int> g_caught{0};
const int kSignals[] = {SIGINT, SIGTERM, SIGHUP};

// True once one of kSignals was taken by the cleanup thread or is pending for it.
bool signal_arrived() {
  if (g_caught.load()) return true;
  sigset_t pending;
  sigpending(&pending);
  for (int s : kSignals)
    if (sigismember(&pending, s)) return true;
  return false;
}

[[noreturn]] void cleanup_thread(sigset_t set) {
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  g_caught.store(sig);
  auto& r = registry();
  r.closing.store(true);  // new sections queue behind this lock instead of starving it
  r.publish.lock();       // held until the process is gone: nothing is created or published after this
  r.mu.lock();
  for (const auto& [id, t] : r.temps) remove_temp(t);
  std::signal(sig, SIG_DFL);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, sig);
  pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
  std::raise(sig);  // default action: the process terminates by `sig`
  std::_Exit(128 + sig);
}

// ".NAME.elfhash-<pid>-XXXXXX" (kind "") or ".NAME.elfhash-seal-<pid>-XXXXXX" (kind "seal-"):
// returns the pid, or 0 when `name` is not of that form.
pid_t stale_pid(const std::string& name, bool& is_dir) {
  if (name.empty() || name[0] != '.') return 0;
  auto at = name.rfind(".elfhash-");
  if (at == std::string::npos || at == 0) return 0;
  size_t p = at + 9;
  is_dir = name.compare(p, 5, "seal-") == 0;
  if (is_dir) p += 5;
  size_t digits = p;
  while (digits < name.size() && name[digits] >= '0' && name[digits] <= '9') ++digits;
  if (digits == p || digits - p > 9 || digits + 7 != name.size() || name[digits] != '-') return 0;
  return static_cast<pid_t>(std::atol(name.substr(p, digits - p).c_str()));
}

void remove_if_stale(int dfd, const std::string& dir, const std::string& name) {
  bool is_dir = false;
  pid_t pid = stale_pid(name, is_dir);
  if (pid <= 0 || pid == getpid()) return;
  if (::kill(pid, 0) == 0 || errno != ESRCH) return;  // owner alive (or not ours to ask)
  int fd = ::openat(dfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (is_dir ? O_DIRECTORY : 0));
  if (fd < 0) return;
  struct stat st;
  // The owner's flock is the second witness: a pid can look dead from another pid namespace.
  if (::fstat(fd, &st) == 0 && (is_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode)) &&
      st.st_uid == geteuid() && ::flock(fd, LOCK_EX | LOCK_NB) == 0) {
    if (is_dir) {
      std::error_code ec;
      std::filesystem::remove_all(dir + "/" + name, ec);
    } else {
      ::unlinkat(dfd, name.c_str(), 0);
    }
  }
  ::close(fd);
}

}  // namespace

void install_signal_cleanup() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : kSignals) sigaddset(&set, s);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread(cleanup_thread, set).detach();
}

void with_cleanup_lock(const std::function<void()>& fn) {
  auto& r = registry();
  if (r.closing.load()) {
    std::lock_guard lock(r.publish);  // the cleanup is waiting for (or holds) it: queue behind it
    fn();
    return;
  }
  std::shared_lock lock(r.publish);
  fn();
}

uint64_t register_temp(const std::string& path, TempKind kind) {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  uint64_t id = r.next++;
  r.temps.emplace(id, Temp{path, kind});
  return id;
}

void unregister_temp(uint64_t id) {
  if (id == 0) return;
  auto& r = registry();
  std::lock_guard lock(r.mu);
  r.temps.erase(id);
}

std::string temp_infix(const char* kind) {
  static const pid_t pid = getpid();  // one system call per run, not one per output file
  return std::string("elfhash-") + kind + std::to_string(pid) + "-";
}

void remove_stale_temps(const std::string& dir) {
  auto& r = registry();
  {
    std::lock_guard lock(r.scanned_mu);
    if (!r.scanned.insert(dir).second) return;
  }
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  while (dirent* e = ::readdir(d))
    if (std::strstr(e->d_name, ".elfhash-")) remove_if_stale(dirfd(d), dir, e->d_name);
  ::closedir(d);
}

int finish_run(int rc) {
  // The cleanup thread kills the process (it may be waiting for the lock this thread just released).
  while (signal_arrived()) pause();
  return rc;
}

void stop_point(const char* point) {
  static const char* want = std::getenv("ELFHASH_STOP_AT");
  if (!want || std::strcmp(want, point) != 0) return;
  std::raise(SIGSTOP);
  // A signal sent while stopped wins over the work that follows, so tests see one outcome.
  while (signal_arrived()) pause();
}

}  // namespace elfhash
