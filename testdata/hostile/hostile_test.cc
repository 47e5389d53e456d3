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
#include "merkle/modsig/trailer_info.h"
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

// The error line `got` must be the one `v` names for case `c`: "NAME: offset 0xN: ...MESSAGE...",
// with N computed from the fixture (expected.txt).
void expect_verdict(const HostileCase& c, const Verdict& v, const std::string& got) {
  auto prefix = offset_prefix(v, "testdata", c.base);
  ASSERT_TRUE(prefix.ok()) << c.name << ": " << prefix.error().str();
  EXPECT_TRUE(verdict_matches(got, c.name, *prefix, v))
      << c.name << ": want \"" << c.name << ": " << *prefix << "..." << v.message << "...\", got \"" << got << "\"";
  EXPECT_EQ(got.find('\n'), std::string::npos) << c.name << ": error is not one line";
}

TEST(HostileCorpus, ReaderRejectsEachCaseWithTheExpectedOffsetAndError) {
  const Corpus& c = corpus();
  int rejected = 0, with_offset = 0;
  for (const auto& hc : c.cases) {
    auto it = c.expected.find(hc.name);
    if (it == c.expected.end()) continue;
    std::string got = in_child([&] { return reader_verdict(hc); });
    const Verdict& want = it->second.reader;
    if (want.kind == Verdict::kValid) {
      EXPECT_EQ(got, "valid") << hc.name;
      continue;
    }
    ++rejected;
    if (want.where != "none") ++with_offset;
    expect_verdict(hc, want, got);
  }
  EXPECT_GE(rejected, 30);
  EXPECT_EQ(with_offset, rejected) << "every reader error carries an offset";
}

#ifdef ELFHASH_HAVE_TRAILER
// What `elfhash inspect` reports first: merkle::describe_trailer (framing, parameters, payload).
std::string trailer_verdict(const HostileCase& c) {
  auto t = merkle::describe_trailer(c.bytes, c.name);
  return t.ok() ? "valid" : t.error().str();
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
    if (it == c.expected.end() || it->second.trailer.kind == Verdict::kUnchecked) continue;
    ++checked;
    std::string got = in_child([&] { return trailer_verdict(hc); });
    if (it->second.trailer.kind == Verdict::kValid)
      EXPECT_EQ(got, "valid") << hc.name;
    else
      expect_verdict(hc, it->second.trailer, got);
  }
  EXPECT_GE(checked, 5);
#endif
}

// The offset expressions themselves: a wrong term must not silently evaluate to something.
TEST(HostileCorpus, OffsetExpressionsAreChecked) {
  Verdict v{Verdict::kError, "shdr:.no-such-section", "x"};
  EXPECT_FALSE(offset_prefix(v, "testdata", "x86_64-module.o").ok());
  v.where = "bogus:1";
  EXPECT_FALSE(offset_prefix(v, "testdata", "x86_64-module.o").ok());
  v.where = "0x28+0x2";
  auto p = offset_prefix(v, "testdata", "x86_64-module.o");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, "offset 0x2a: ");
  EXPECT_TRUE(verdict_matches("f: offset 0x2a: a b c", "f", *p, {Verdict::kError, "", "x|b"}));
  EXPECT_FALSE(verdict_matches("f: offset 0x2b: a b c", "f", *p, {Verdict::kError, "", "b"}));
  EXPECT_FALSE(verdict_matches("f: offset 0x2a: a b c", "f", *p, {Verdict::kError, "", "d"}));
  EXPECT_FALSE(verdict_matches("f: offset 0x2a: a", "f", "", {Verdict::kError, "none", "a"}));
}

}  // namespace
}  // namespace elfhash::testdata
