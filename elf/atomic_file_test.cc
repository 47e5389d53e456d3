// elf/atomic_file.h on a real directory: replacing a file (names swapped, old file removed, no temp
// left), hard links (rewritten in place), modes independent of the umask, an uncommitted output,
// write_spans across more pieces than one pwritev takes, and the background close of mapped_file.h.
#include "elf/atomic_file.h"

#include <gtest/gtest.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "elf/mapped_file.h"

namespace elfhash {
namespace {

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TEST_TMPDIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/atomic.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  // Names in the directory other than . and ..
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    DIR* d = opendir(dir_.c_str());
    while (dirent* e = readdir(d))
      if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") out.push_back(e->d_name);
    closedir(d);
    return out;
  }
  std::string dir_;
};

void write(const std::string& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }
std::string read(const std::string& p) {
  std::stringstream ss;
  ss << std::ifstream(p, std::ios::binary).rdbuf();
  return ss.str();
}
std::span<const uint8_t> span_of(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }
struct stat stat_of(const std::string& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st;
}

TEST_F(AtomicFileTest, ReplacesTheTargetAndRemovesTheOldFile) {
  write(path("m.ko"), "old contents");
  int old_fd = ::open(path("m.ko").c_str(), O_RDONLY);  // the old inode, as an in-place input holds it
  ASSERT_GE(old_fd, 0);
  const ino_t old_ino = stat_of(path("m.ko")).st_ino;
  ASSERT_TRUE(write_file_atomic(path("m.ko"), span_of("new"), 0644).ok());
  EXPECT_EQ(read(path("m.ko")), "new");
  EXPECT_NE(stat_of(path("m.ko")).st_ino, old_ino);
  struct stat old {};
  ASSERT_EQ(fstat(old_fd, &old), 0);
  EXPECT_EQ(old.st_nlink, 0u) << "the old file must have no name left (no swapped temp behind)";
  ::close(old_fd);
  EXPECT_EQ(entries(), std::vector<std::string>{"m.ko"});
}

TEST_F(AtomicFileTest, CreatesAMissingTarget) {
  ASSERT_TRUE(write_file_atomic(path("new.ko"), span_of("abc"), 0640).ok());
  EXPECT_EQ(read(path("new.ko")), "abc");
  EXPECT_EQ(stat_of(path("new.ko")).st_mode & 07777, 0640u);
  EXPECT_EQ(entries(), std::vector<std::string>{"new.ko"});
}

TEST_F(AtomicFileTest, UncommittedOutputLeavesTargetAndNoTemp) {
  write(path("m.ko"), "old contents");
  {
    auto f = AtomicFile::create(path("m.ko"), 0644);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE(f->append(span_of("partial")).ok());
  }  // destroyed without commit(): an error path
  EXPECT_EQ(read(path("m.ko")), "old contents");
  EXPECT_EQ(entries(), std::vector<std::string>{"m.ko"});
}

TEST_F(AtomicFileTest, HardLinkedTargetIsRewrittenInPlace) {
  write(path("a.ko"), "old contents");
  ASSERT_EQ(::link(path("a.ko").c_str(), path("b.ko").c_str()), 0);
  const ino_t ino = stat_of(path("a.ko")).st_ino;
  ASSERT_TRUE(write_file_atomic(path("a.ko"), span_of("new"), 0644).ok());
  EXPECT_EQ(stat_of(path("a.ko")).st_ino, ino);
  EXPECT_EQ(read(path("a.ko")), "new");
  EXPECT_EQ(read(path("b.ko")), "new");
  EXPECT_EQ(entries().size(), 2u);
}

// The temp is created with its final mode when the umask allows it, else fixed with fchmod: the
// output's mode never depends on the umask. The umask is read once per process, so each case runs
// in a child process that sets it first.
TEST_F(AtomicFileTest, ModeIsExactUnderAnyUmask) {
  for (mode_t mask : {022, 077, 0777, 0}) {
    for (uint32_t mode : {0644u, 0755u, 0600u}) {
      const std::string p = path("m" + std::to_string(mask) + "-" + std::to_string(mode));
      write(p, "old");
      ::chmod(p.c_str(), 0600);
      pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        umask(mask);
        _exit(write_file_atomic(p, span_of("new"), mode).ok() ? 0 : 1);
      }
      int status = 0;
      ASSERT_EQ(waitpid(pid, &status, 0), pid);
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
      EXPECT_EQ(stat_of(p).st_mode & 07777, mode) << "umask " << std::oct << mask;
      EXPECT_EQ(read(p), "new");
    }
  }
}

TEST_F(AtomicFileTest, WriteSpansBeyondOnePwritev) {
  std::vector<std::string> parts;
  std::string want;
  for (int i = 0; i < 3000; ++i) {  // more than IOV_MAX (1024) spans
    parts.push_back(std::to_string(i) + (i % 7 == 0 ? std::string(5000, 'x') : ","));
    want += parts.back();
  }
  std::vector<std::span<const uint8_t>> spans;
  for (const auto& p : parts) spans.push_back(span_of(p));
  spans.insert(spans.begin() + 10, std::span<const uint8_t>());  // empty spans are skipped
  auto f = AtomicFile::create(path("out"), 0644);
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE(f->write_spans(spans).ok());
  ASSERT_TRUE(f->commit().ok());
  EXPECT_EQ(read(path("out")), want);
}

// An in-place input's descriptor closed in the background: after wait_background_closes() the old
// file has been released (its descriptor is no longer open).
TEST_F(AtomicFileTest, BackgroundCloseOfAReplacedInput) {
  write(path("m.ko"), std::string(100000, 'a'));
  int fd = -1;
  {
    auto in = MappedFile::open(path("m.ko"));
    ASSERT_TRUE(in.ok());
    fd = (*in)->fd();
    (*in)->close_in_background();
    ASSERT_TRUE(write_file_atomic(path("m.ko"), span_of("new"), 0644).ok());
  }
  wait_background_closes();
  EXPECT_EQ(fcntl(fd, F_GETFD), -1) << "descriptor still open";
  EXPECT_EQ(read(path("m.ko")), "new");
}

}  // namespace
}  // namespace elfhash
