#include <cstdio>

#include "tools/cli/commands.h"

namespace elfhash::cli {

int cmd_verify(int, char**) {
  std::fprintf(stderr, "elfhash: 'verify' is not implemented yet\n");
  return kExitError;
}

}  // namespace elfhash::cli
