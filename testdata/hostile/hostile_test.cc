// Runs every hostile case (hostile.cc) through the hardened reader in a child process with a time
// limit: it must fail with the one-line error expected.txt names, never crash or hang.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <set>
#include <string>

#include "elf/reader.h"
#include "testdata/hostile/hostile.h"
#ifdef ELFHASH_HAVE_TRAILER
#include "merkle/modsig/trailer.h"
#endif

namespace elfhash::testdata {
namespace {

constexpr int kTimeoutSeconds = 20;

struct Corpus {
  std::vector<HostileCase> cases;
  std::map<std::string, Expectation> expected;
};

const Corpus& corpus() {
  static Corpus* c = [] {
    auto* c = new Corpus;
    auto cases = make_hostile_cases("testdata");
    if (!cases.ok()) {
      ADD_FAILURE() << cases.error().str();
      return c;
    }
    c->cases = std::move(*cases);
    auto exp = load_expectations("testdata/hostile/expected.txt");
    if (!exp.ok()) {
      ADD_FAILURE() << exp.error().str();
      return c;
    }
    for (auto& e : *exp) c->expected[e.name] = e;
    return c;
  }();
  return *c;
}

// The reader's verdict: "valid" or the error line.
std::string reader_verdict(const HostileCase& c) {
  auto f = MappedFile::from_memory(c.bytes, c.name);
  auto e = elf::ElfFile::parse(f);
  if (!e.ok()) return e.error().str();
  auto s = e->check_tables();
  return s.ok() ? "valid" : s.error().str();
}

// True when `got` contains one of the '|'-separated alternatives in `want`.
bool matches(const std::string& got, const std::string& want) {
  for (size_t b = 0;;) {
    size_t e = want.find('|', b);
    if (got.find(want.substr(b, e == std::string::npos ? e : e - b)) != std::string::npos) return true;
    if (e == std::string::npos) return false;
    b = e + 1;
  }
}

// Runs fn in a child with a timeout; returns its output, or a description of how it died.
template <class Fn>
std::string in_child(Fn fn) {
  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    alarm(kTimeoutSeconds);
    std::string out = fn();
    (void)!write(fds[1], out.data(), out.size());
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status))
    return WTERMSIG(status) == SIGALRM ? "HUNG (timeout)" : "CRASHED with signal " + std::to_string(WTERMSIG(status));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "child exited with " + std::to_string(WEXITSTATUS(status));
  return out;
}

TEST(HostileCorpus, EveryCaseHasAnExpectationAndViceVersa) {
  const Corpus& c = corpus();
  EXPECT_GE(c.cases.size(), 30u);
  std::set<std::string> names;
  for (const auto& hc : c.cases) {
    EXPECT_TRUE(names.insert(hc.name).second) << "duplicate case " << hc.name;
    EXPECT_TRUE(c.expected.count(hc.name)) << hc.name << " missing from expected.txt";
  }
  for (const auto& [name, e] : c.expected) EXPECT_TRUE(names.count(name)) << name << " in expected.txt but not generated";
}

TEST(HostileCorpus, ReaderRejectsEachCaseWithTheExpectedError) {
  const Corpus& c = corpus();
  int rejected = 0;
  for (const auto& hc : c.cases) {
    auto it = c.expected.find(hc.name);
    if (it == c.expected.end()) continue;
    std::string got = in_child([&] { return reader_verdict(hc); });
    const std::string& want = it->second.reader;
    if (want == "valid") {
      EXPECT_EQ(got, "valid") << hc.name;
      continue;
    }
    ++rejected;
    EXPECT_TRUE(matches(got, want)) << hc.name << ": want \"" << want << "\", got \"" << got << "\"";
    EXPECT_EQ(got.find('\n'), std::string::npos) << hc.name << ": error is not one line";
    EXPECT_EQ(got.rfind(hc.name + ":", 0), 0u) << hc.name << ": error does not start with the file name: " << got;
  }
  EXPECT_GE(rejected, 30);
}

#ifdef ELFHASH_HAVE_TRAILER
std::string trailer_verdict(const HostileCase& c) {
  auto t = merkle::parse_trailer(c.bytes, c.name);
  if (!t.ok()) return t.error().str();
  if (t->kind != merkle::TrailerKind::kMerkle) return std::string("kind ") + merkle::trailer_kind_name(t->kind);
  auto tail = std::span<const uint8_t>(c.bytes).subspan(t->image_size);
  auto levels = merkle::check_merkle_trailer(tail, c.name);
  return levels.ok() ? "merkle levels " + std::to_string(*levels) : levels.error().str();
}
#endif

TEST(HostileCorpus, TrailerParserRejectsEachTrailerCase) {
#ifndef ELFHASH_HAVE_TRAILER
  GTEST_SKIP() << "merkle trailer parser not linked (needs the //merkle dep and -DELFHASH_HAVE_TRAILER)";
#else
  const Corpus& c = corpus();
  int checked = 0;
  for (const auto& hc : c.cases) {
    auto it = c.expected.find(hc.name);
    if (it == c.expected.end() || it->second.trailer == "-") continue;
    ++checked;
    std::string got = in_child([&] { return trailer_verdict(hc); });
    EXPECT_TRUE(matches(got, it->second.trailer)) << hc.name << ": want \"" << it->second.trailer << "\", got \"" << got << "\"";
  }
  EXPECT_GE(checked, 5);
#endif
}

}  // namespace
}  // namespace elfhash::testdata
