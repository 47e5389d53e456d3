// `elfhash patch`: the `objcopy --update-section .module_hashes=FILE.bin vmlinux` step of spec §4.3
// item 4, as a byte-exact in-place overwrite of the existing 36-byte section (spec §10.3).
#include <fmt/core.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include "elf/reader.h"
#include "merkle/build.h"
#include "elf/small_file.h"
#include "merkle/module_hashes.h"
#include "merkle/order.h"
#include "merkle/patch.h"
#include "tools/cli/commands.h"
#include "tools/cli/common.h"

namespace elfhash::cli {
namespace {

const char kUsage[] =
    "usage: elfhash patch VMLINUX --module-hashes FILE.bin [-o OUT]\n"
    "       elfhash patch VMLINUX --order FILE --suffix SUF [--objtree DIR] [-j N] [-o OUT]\n"
    "\n"
    "Overwrites the 36 bytes of VMLINUX's existing .module_hashes section (it must be PROGBITS of\n"
    "exactly 36 bytes); no other byte changes. FILE.bin is taken as it is; with --order the tree is\n"
    "computed here and `levels` is written in VMLINUX's byte order. Without -o the file is replaced\n"
    "atomically in place.\n";

struct PatchArgs {
  std::string hashes, order, suffix, objtree, out, jobs;
};

Result<std::array<uint8_t, merkle::kModuleHashesSize>> new_contents(const PatchArgs& a, elf::Endian e,
                                                                   unsigned threads) {
  std::array<uint8_t, merkle::kModuleHashesSize> out{};
  if (!a.hashes.empty()) {
    EH_ASSIGN(std::vector<uint8_t> bin, read_regular_file(a.hashes, 1 << 20));
    if (bin.size() != out.size())
      return make_error(a.hashes, kNoOffset,
                        fmt::format("{} bytes, expected {} (u32 levels + 32-byte root)", bin.size(), out.size()));
    std::copy(bin.begin(), bin.end(), out.begin());
    return out;
  }
  std::string order = a.order.empty() ? merkle::join_path(a.objtree, "modules.order") : a.order;
  EH_ASSIGN(merkle::ModuleSet set, merkle::load_module_set(order, a.objtree, a.suffix));
  EH_ASSIGN(merkle::Tree tree, merkle::build_tree(set, threads));
  return merkle::encode_module_hashes({tree.levels(), tree.root()}, e);
}

int run(const std::string& vmlinux, const PatchArgs& a, unsigned threads) {
  auto elf = elf::ElfFile::open(vmlinux);
  if (!elf.ok()) return report(elf.error(), kExitError);
  // Check the target before any hashing, so a kernel without the section fails fast.
  auto sec = merkle::find_module_hashes(*elf);
  if (!sec.ok()) return report(sec.error(), kExitError);
  auto content = new_contents(a, elf->endian(), threads);
  if (!content.ok()) return report(content.error(), kExitError);
  auto st = merkle::patch_module_hashes(*elf, *content, a.out.empty() ? vmlinux : a.out);
  if (!st.ok()) return report(st.error(), kExitError);
  return kExitOk;
}

}  // namespace

int cmd_patch(int argc, char** argv) {
  PatchArgs a;
  std::vector<std::string> pos;
  bool help = false;
  auto err = parse_options(argc, argv,
                           {{{"--module-hashes"}, &a.hashes},
                            {{"--order"}, &a.order},
                            {{"--suffix"}, &a.suffix},
                            {{"--objtree"}, &a.objtree},
                            {{"-o", "--output"}, &a.out},
                            {{"-j", "--jobs"}, &a.jobs}},
                           pos, help);
  if (help) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (err) return usage_error("patch", *err);
  if (pos.size() != 1) return usage_error("patch", "exactly one VMLINUX argument is needed");
  bool tree_mode = !a.order.empty() || !a.suffix.empty() || !a.objtree.empty();
  if (a.hashes.empty() == !tree_mode)
    return usage_error("patch", "give either --module-hashes FILE.bin or --suffix SUF [--order FILE] [--objtree DIR]");
  if (tree_mode && a.suffix.empty()) return usage_error("patch", "--suffix is required with --order/--objtree");
  unsigned threads = 0;
  if (!a.jobs.empty() && !parse_count(a.jobs, threads)) return usage_error("patch", "-j needs a count 1..4096");
  return run(pos[0], a, threads);
}

}  // namespace elfhash::cli
