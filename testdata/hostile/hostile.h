// The hostile-input corpus: malformed variants of the generated fixtures (testdata/README.md), each
// aimed at one check of the hardened reader or the module trailer parser. expected.txt maps every case
// name to the error it must produce. Used by hostile_test, cli_test.sh (via make_hostile) and as fuzz
// seeds (tools/fuzz.sh).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "elf/error.h"

namespace elfhash::testdata {

struct HostileCase {
  std::string name;   // file name stem, also the key in expected.txt
  std::string base;   // fixture it was derived from
  std::vector<uint8_t> bytes;
};

// Builds every case from the fixtures in `fixture_dir` (the output of make_fixtures.sh).
Result<std::vector<HostileCase>> make_hostile_cases(const std::string& fixture_dir);

// One expected verdict, as written in expected.txt: "valid", "-" (not checked), or
// "WHERE: MESSAGE" where WHERE names the byte offset the error must carry (see expected.txt for the
// terms; "none" = the error carries no offset) and MESSAGE is what must follow it ("A|B": either).
struct Verdict {
  enum Kind { kValid, kUnchecked, kError } kind = kUnchecked;
  std::string where;    // offset expression (kError)
  std::string message;  // kError
};

struct Expectation {
  std::string name;
  std::string base;  // fixture the case was made from (filled by resolve_expectations)
  Verdict reader;    // ElfFile::parse + check_tables, and the CLI unless `cli` is set
  Verdict trailer;   // merkle::parse_trailer (+ check_merkle_trailer), and inspect
  Verdict cli;       // optional: what objcopy/strip must print when the reader accepts the file
  std::string options;  // optional: objcopy options (space-separated) the CLI verdict applies to
};

// Parses expected.txt: "NAME<TAB>READER<TAB>TRAILER[<TAB>CLI[<TAB>OPTIONS]]" lines; '#' starts a
// comment line.
Result<std::vector<Expectation>> load_expectations(const std::string& path);

// The exact prefix an error line for `v` must start with after "FILE: ": "offset 0xN: " with N
// computed from the case's fixture (WHERE evaluated on it), or "" for "none".
Result<std::string> offset_prefix(const Verdict& v, const std::string& fixture_dir, const std::string& base);

// True when `line` ("FILE: offset 0xN: message") is the error `v` describes for file `file`: it
// starts with "FILE: " + `prefix`, and the rest starts... contains one of the message alternatives.
bool verdict_matches(const std::string& line, const std::string& file, const std::string& prefix, const Verdict& v);

// The fixture each case is made from (for offset_prefix).
std::string base_of(const std::string& case_name);

}  // namespace elfhash::testdata
