#include <cstdio>

#include "tools/cli/commands.h"

namespace elfhash::cli {

int cmd_seal(int, char**) {
  std::fprintf(stderr, "elfhash: 'seal' is not implemented yet\n");
  return kExitError;
}

}  // namespace elfhash::cli
