#include <cstdio>

#include "tools/cli/commands.h"

namespace elfhash::cli {

int cmd_sign(int, char**) {
  std::fprintf(stderr, "elfhash: 'sign' is not implemented yet\n");
  return kExitError;
}

}  // namespace elfhash::cli
