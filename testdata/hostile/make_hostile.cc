// make_hostile FIXTURE_DIR OUTDIR: writes every hostile case as OUTDIR/NAME.elf (for cli_test.sh and
// as fuzzing seeds).
#include <cstdio>
#include <fstream>

#include "testdata/hostile/hostile.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: make_hostile FIXTURE_DIR OUTDIR\n");
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
  return 0;
}
