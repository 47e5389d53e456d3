#include <cstdio>

#include "tools/cli/commands.h"

namespace elfhash::cli {

int cmd_tree(int, char**) {
  std::fprintf(stderr, "elfhash: 'tree' is not implemented yet\n");
  return kExitError;
}

}  // namespace elfhash::cli
