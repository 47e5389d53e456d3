// The build-side operations shared by `modules-merkle-tree`, `tree` and `patch --order`: resolve
// modules.order into module files, hash them into a tree, write the per-module proofs (spec §2, §3).
#pragma once

#include <string>
#include <vector>

#include "elf/error.h"
#include "merkle/tree.h"

namespace elfhash::merkle {

struct ModuleSet {
  std::vector<std::string> stems;  // modules.order lines without ".o"
  std::vector<std::string> paths;  // objtree/stem + suffix
};

// Reads `order_path` and names each module `objtree/<stem><suffix>` (objtree "" or "." = as listed).
Result<ModuleSet> load_module_set(const std::string& order_path, const std::string& objtree,
                                  const std::string& suffix);

// Hashes every module (threads 0 = all cores) and builds the tree.
Result<Tree> build_tree(const ModuleSet& set, unsigned threads = 0);

// Writes the trailer of leaf i to proof_paths[i] (mode 0644, each file atomically, in parallel; a file
// that already holds exactly those bytes with mode 0644 is left alone),
// creating missing parent directories when `make_dirs`.
Status write_proofs(const Tree& tree, const std::vector<std::string>& proof_paths, bool make_dirs,
                    unsigned threads = 0);

// `<dir>/<stem>.merkle` for --proofs-out; refuses stems that would escape `dir` (absolute or "..").
Result<std::string> proof_path_under(const std::string& dir, const std::string& stem);

}  // namespace elfhash::merkle
