#include <cstdio>

#include "tools/cli/commands.h"

namespace elfhash::cli {

int cmd_modules_merkle_tree(int, char**) {
  std::fprintf(stderr, "elfhash: 'modules_merkle_tree' is not implemented yet\n");
  return kExitError;
}

}  // namespace elfhash::cli
