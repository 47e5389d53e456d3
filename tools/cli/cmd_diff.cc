#include <cstdio>

#include "tools/cli/commands.h"

namespace elfhash::cli {

int cmd_diff(int, char**) {
  std::fprintf(stderr, "elfhash: 'diff' is not implemented yet\n");
  return kExitError;
}

}  // namespace elfhash::cli
