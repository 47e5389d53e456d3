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

struct Expectation {
  std::string name;
  std::string reader;   // substring of the reader's / CLI's error, or "valid" (the ELF part is fine)
  std::string trailer;  // substring of the trailer parser's verdict, or "-" (not a trailer case)
  std::string cli;      // optional: what the CLI must print when it differs from `reader`
};

// Parses expected.txt: "NAME<TAB>READER<TAB>TRAILER[<TAB>CLI]" lines; '#' starts a comment line.
Result<std::vector<Expectation>> load_expectations(const std::string& path);

}  // namespace elfhash::testdata
