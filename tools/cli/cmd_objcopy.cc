#include <cstdio>

#include "tools/cli/commands.h"

namespace elfhash::cli {

int cmd_objcopy(int, char**) {
  std::fprintf(stderr, "elfhash: 'objcopy' is not implemented yet\n");
  return kExitError;
}

}  // namespace elfhash::cli
