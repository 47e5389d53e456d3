#include <cstdio>

#include "tools/cli/commands.h"

namespace elfhash::cli {

int cmd_inspect(int, char**) {
  std::fprintf(stderr, "elfhash: 'inspect' is not implemented yet\n");
  return kExitError;
}

}  // namespace elfhash::cli
