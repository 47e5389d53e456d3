#include <cstdio>

#include "tools/cli/commands.h"

namespace elfhash::cli {

int cmd_patch(int, char**) {
  std::fprintf(stderr, "elfhash: 'patch' is not implemented yet\n");
  return kExitError;
}

}  // namespace elfhash::cli
