// `elfhash tree`: the native form of the tree step. Writes the 36-byte .module_hashes contents directly
// (no generated C file, no compiler, no objcopy --dump-section; spec §10.2) and, optionally, the
// per-module proofs under a separate directory mirroring the modules.order paths.
#include <fmt/core.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "elf/atomic_file.h"
#include "merkle/build.h"
#include "merkle/module_hashes.h"
#include "merkle/order.h"
#include "tools/cli/commands.h"
#include "tools/cli/common.h"

namespace elfhash::cli {
namespace {

const char kUsage[] =
    "usage: elfhash tree --suffix SUF [--order FILE] [--objtree DIR] [--hashes-out FILE.bin]\n"
    "                    [--proofs-out DIR] [--endian little|big] [--json] [-j N]\n"
    "\n"
    "Builds the module Merkle tree over modules.order (default DIR/modules.order), hashing\n"
    "DIR/<stem>SUF for every line <stem>.o (DIR = --objtree, default the current directory).\n"
    "  --hashes-out FILE.bin  write the 36-byte .module_hashes contents (levels in --endian order,\n"
    "                         default little, then the root)\n"
    "  --proofs-out DIR       write <stem>.merkle for every module under DIR, creating directories\n"
    "  --json                 print {\"modules\",\"levels\",\"root\",\"endian\",\"module_hashes\"}\n"
    "  -j N                   hashing threads (default: all cores; the output never depends on it)\n"
    "Prints the root and the level count.\n";

struct TreeArgs {
  std::string order, suffix, objtree, hashes_out, proofs_out, endian = "little", jobs;
  bool json = false;
};

int run(const TreeArgs& a, elf::Endian endian, unsigned threads) {
  std::string order = a.order.empty() ? merkle::join_path(a.objtree, "modules.order") : a.order;
  auto set = merkle::load_module_set(order, a.objtree, a.suffix);
  if (!set.ok()) return report(set.error(), kExitError);
  std::vector<std::string> proofs;
  if (!a.proofs_out.empty()) {
    for (const auto& stem : set->stems) {
      auto p = merkle::proof_path_under(a.proofs_out, stem);
      if (!p.ok()) return report(p.error(), kExitError);
      proofs.push_back(*p);
    }
  }
  auto tree = merkle::build_tree(*set, threads);
  if (!tree.ok()) return report(tree.error(), kExitError);
  merkle::ModuleHashesRoot root{tree->levels(), tree->root()};
  auto content = merkle::encode_module_hashes(root, endian);
  if (!a.proofs_out.empty()) {
    auto st = merkle::write_proofs(*tree, proofs, /*make_dirs=*/true, threads);
    if (!st.ok()) return report(st.error(), kExitError);
  }
  if (!a.hashes_out.empty()) {
    auto st = write_file_atomic(a.hashes_out, content, 0644);
    if (!st.ok()) return report(st.error(), kExitError);
  }
  if (a.json) {
    std::printf("{\"modules\": %zu, \"levels\": %u, \"root\": \"%s\", \"endian\": \"%s\", \"module_hashes\": \"%s\"}\n",
                tree->size(), root.levels, merkle::to_hex(root.root).c_str(), a.endian.c_str(),
                merkle::to_hex(content).c_str());
  } else {
    std::printf("modules: %zu\nlevels: %u\nroot: %s\n", tree->size(), root.levels,
                merkle::to_hex(root.root).c_str());
  }
  return kExitOk;
}

// Parses tree's command line (no file is touched). Returns a usage error, or nullopt.
std::optional<std::string> parse_tree(int argc, char** argv, TreeArgs& a, elf::Endian& endian, unsigned& threads,
                                      bool& help) {
  std::vector<std::string> pos;
  auto err = parse_options(argc, argv,
                           {{{"--order"}, &a.order},
                            {{"--suffix"}, &a.suffix},
                            {{"--objtree"}, &a.objtree},
                            {{"--hashes-out"}, &a.hashes_out},
                            {{"--proofs-out"}, &a.proofs_out},
                            {{"--endian"}, &a.endian},
                            {{"-j", "--jobs"}, &a.jobs},
                            {{"--json"}, nullptr, &a.json}},
                           pos, help);
  if (help) return std::nullopt;
  if (err) return err;
  if (!pos.empty()) return fmt::format("unexpected argument '{}'", pos[0]);
  if (a.suffix.empty()) return "--suffix is required (.ko or .ko.stripped)";
  if (a.endian == "little") endian = elf::Endian::kLittle;
  else if (a.endian == "big") endian = elf::Endian::kBig;
  else return "--endian must be little or big";
  threads = 0;
  if (!a.jobs.empty() && !parse_count(a.jobs, threads)) return "-j needs a count 1..4096";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> check_tree_args(int argc, char** argv) {
  TreeArgs a;
  elf::Endian endian;
  unsigned threads = 0;
  bool help = false;
  return parse_tree(argc, argv, a, endian, threads, help);
}

int cmd_tree(int argc, char** argv) {
  TreeArgs a;
  elf::Endian endian = elf::Endian::kLittle;
  unsigned threads = 0;
  bool help = false;
  if (auto e = parse_tree(argc, argv, a, endian, threads, help)) return usage_error("tree", *e);
  if (help) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  return run(a, endian, threads);
}

}  // namespace elfhash::cli
