// Parsing of the GNU objcopy/strip options elfhash supports (docs/cli.md), shared by objcopy, strip
// and seal. Options may repeat (-R a -R b) and come in any GNU spelling: "-R X", "-RX",
// "--remove-section X", "--remove-section=X".
#pragma once

#include <string>
#include <vector>

#include "elf/copy.h"
#include "elf/ops.h"

namespace elfhash::cli {

struct ParsedCopyArgs {
  elf::CopyOptions copy;
  elf::OutputFormat format = elf::OutputFormat::kElf;
  std::vector<std::string> positional;
  std::string output;      // strip -o
  unsigned jobs = 0;       // strip -j (0 = all cores)
  bool drop_trailer = false;
  bool fsync = false;  // --fsync (elf/atomic_file.h)
  bool help = false;
};

enum class CopyTool { kObjcopy, kStrip };

// Returns an error message ("unrecognized option '--x'") or empty on success.
std::string parse_copy_args(CopyTool tool, int argc, char** argv, ParsedCopyArgs& out);

}  // namespace elfhash::cli
