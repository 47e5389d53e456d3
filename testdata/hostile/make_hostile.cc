// make_hostile FIXTURE_DIR OUTDIR [EXPECTED RESOLVED]: writes every hostile case as OUTDIR/NAME.elf
// (for cli_test.sh and as fuzzing seeds). With EXPECTED (expected.txt), also writes RESOLVED: one
// line per case with the offsets evaluated on the fixtures, for cli_test.sh:
//   NAME  OBJCOPY-KIND -PREFIX -MESSAGE  STRIP-KIND -PREFIX -MESSAGE  INSPECT-KIND -PREFIX -MESSAGE  OPTIONS
// tab-separated; KIND is valid, - or error, and for inspect also "either" (a file the reader accepts
// but objcopy refuses: inspect may accept it or report the CLI error); an empty field is "~".
#include <cstdio>
#include <fstream>

#include "testdata/hostile/hostile.h"

namespace {

using elfhash::testdata::Verdict;

std::string field(const std::string& s) { return s.empty() ? "~" : s; }

// "KIND\tPREFIX\tMESSAGE" for one verdict, or an error text.
std::string resolved(const Verdict& v, const std::string& fixtures, const std::string& base, bool& ok) {
  if (v.kind != Verdict::kError) return std::string(v.kind == Verdict::kValid ? "valid" : "-") + "\t~\t~";
  auto prefix = elfhash::testdata::offset_prefix(v, fixtures, base);
  if (!prefix.ok()) {
    std::fprintf(stderr, "make_hostile: %s\n", prefix.error().str().c_str());
    ok = false;
    return "";
  }
  return "error\t" + field(*prefix) + "\t" + field(v.message);
}

int write_resolved(const std::string& fixtures, const std::string& expected, const std::string& path) {
  auto exp = elfhash::testdata::load_expectations(expected);
  if (!exp.ok()) {
    std::fprintf(stderr, "make_hostile: %s\n", exp.error().str().c_str());
    return 2;
  }
  std::ofstream out(path, std::ios::trunc);
  bool ok = true;
  for (const auto& e : *exp) {
    const Verdict& cli = e.cli.kind == Verdict::kUnchecked ? e.reader : e.cli;
    // inspect reads the trailer first, then runs the reader and validate_tables().
    std::string inspect = e.trailer.kind == Verdict::kError ? resolved(e.trailer, fixtures, e.base, ok)
                          : e.reader.kind == Verdict::kError ? resolved(e.reader, fixtures, e.base, ok)
                          : e.cli.kind == Verdict::kError    ? "either" + resolved(e.cli, fixtures, e.base, ok).substr(5)
                                                             : "valid\t~\t~";
    // strip splits off a module trailer before it parses the ELF part: it reports a framing error
    // there, and refuses any well-framed trailer ("file ends in an appended module ..."), both at the
    // trailer's start, which is the fixture's end for the cases with an intact ELF part.
    Verdict strip_v = cli;
    if (e.trailer.kind == Verdict::kError)
      strip_v = e.reader.kind == Verdict::kError
                    ? e.trailer
                    : Verdict{Verdict::kError, "eof", e.trailer.message + "|file ends in an appended module"};
    std::string strip = resolved(strip_v, fixtures, e.base, ok);
    out << e.name << '\t' << resolved(cli, fixtures, e.base, ok) << '\t' << strip << '\t' << inspect << '\t'
        << field(e.options) << '\n';
  }
  return ok && out ? 0 : 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc != 5) {
    std::fprintf(stderr, "usage: make_hostile FIXTURE_DIR OUTDIR [EXPECTED RESOLVED]\n");
    return 2;
  }
  auto cases = elfhash::testdata::make_hostile_cases(argv[1]);
  if (!cases.ok()) {
    std::fprintf(stderr, "make_hostile: %s\n", cases.error().str().c_str());
    return 2;
  }
  for (const auto& c : *cases) {
    std::string path = std::string(argv[2]) + "/" + c.name + ".elf";
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(c.bytes.data()), static_cast<std::streamsize>(c.bytes.size()));
    if (!out) {
      std::fprintf(stderr, "make_hostile: cannot write %s\n", path.c_str());
      return 2;
    }
  }
  return argc == 5 ? write_resolved(argv[1], argv[3], argv[4]) : 0;
}
