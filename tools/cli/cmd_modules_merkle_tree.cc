// `elfhash modules-merkle-tree OUT.c SUFFIX`: drop-in for the kernel's scripts/modules-merkle-tree
// (spec §6.3). Same arguments (output first, as the tool's code has it), same inputs (./modules.order)
// and byte-identical outputs: OUT.c and <stem>.merkle beside every module. Exit codes follow the kernel
// tool rather than the elfhash convention, so kbuild sees what it expects: 2 usage, 1 any failure.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "elf/atomic_file.h"
#include "merkle/build.h"
#include "merkle/module_hashes.h"
#include "tools/cli/commands.h"
#include "tools/cli/common.h"

namespace elfhash::cli {
namespace {

constexpr int kToolUsage = 2;
constexpr int kToolFatal = 1;

const char kUsage[] =
    "usage: elfhash modules-merkle-tree OUT.c KMOD_SUFFIX\n"
    "\n"
    "Run in the kernel objtree. Reads ./modules.order, hashes <stem>KMOD_SUFFIX for every line\n"
    "<stem>.o (KMOD_SUFFIX is .ko, or .ko.stripped with CONFIG_MODULE_INSTALL_STRIP), writes the\n"
    "module_hashes_root definition to OUT.c and a <stem>.merkle proof beside every module, exactly\n"
    "as the kernel's scripts/modules-merkle-tree does. Uses all cores.\n";

int run(const std::string& out_c, const std::string& suffix) {
  auto set = merkle::load_module_set("modules.order", "", suffix);
  if (!set.ok()) return report(set.error(), kToolFatal);
  auto tree = merkle::build_tree(*set);
  if (!tree.ok()) return report(tree.error(), kToolFatal);
  // The proof name replaces the kmod suffix with ".merkle" (spec §3.1), i.e. <stem>.merkle.
  std::vector<std::string> proofs;
  proofs.reserve(set->stems.size());
  for (const auto& stem : set->stems) proofs.push_back(stem + ".merkle");
  // Proofs first, the .c file last: if anything fails, kbuild finds no fresh .c and reruns the step.
  auto st = merkle::write_proofs(*tree, proofs, /*make_dirs=*/false);
  if (!st.ok()) return report(st.error(), kToolFatal);
  std::string c = merkle::render_module_hashes_c({tree->levels(), tree->root()});
  st = write_file_atomic(out_c, {reinterpret_cast<const uint8_t*>(c.data()), c.size()}, 0644);
  if (!st.ok()) return report(st.error(), kToolFatal);
  return kExitOk;
}

}  // namespace

int cmd_modules_merkle_tree(int argc, char** argv) {
  if (argc == 2 && is_help(argv[1])) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (argc != 3) {
    std::fputs(kUsage, stderr);
    return kToolUsage;
  }
  return run(argv[1], argv[2]);
}

}  // namespace elfhash::cli
