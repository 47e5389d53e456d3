#include <cstdio>

#include "tools/cli/commands.h"

namespace elfhash::cli {

int cmd_strip(int, char**) {
  std::fprintf(stderr, "elfhash: 'strip' is not implemented yet\n");
  return kExitError;
}

}  // namespace elfhash::cli
