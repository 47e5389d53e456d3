// elfhash: one deterministic binary for the kernel's objcopy/strip/module-hashes chain.
#include <cstdio>
#include <cstring>
#include <string_view>

#include "elf/cleanup.h"
#include "tools/cli/commands.h"

namespace {

struct Command {
  const char* name;
  int (*run)(int, char**);
  const char* summary;
};

constexpr Command kCommands[] = {
    {"objcopy", elfhash::cli::cmd_objcopy, "copy/transform an ELF file (GNU objcopy spellings)"},
    {"strip", elfhash::cli::cmd_strip, "strip ELF files in place or to -o (GNU strip spellings)"},
    {"modules-merkle-tree", elfhash::cli::cmd_modules_merkle_tree,
     "drop-in for the kernel's scripts/modules-merkle-tree OUT.c SUFFIX"},
    {"tree", elfhash::cli::cmd_tree, "Merkle tree over modules.order: .module_hashes bytes and proofs"},
    {"patch", elfhash::cli::cmd_patch, "fill the .module_hashes section of a vmlinux"},
    {"sign", elfhash::cli::cmd_sign, "append a Merkle proof (or PKCS#7 signature) trailer to modules"},
    {"verify", elfhash::cli::cmd_verify, "check modules as the kernel does (v5 module hashes)"},
    {"inspect", elfhash::cli::cmd_inspect, "describe ELF files, .modinfo and trailers"},
    {"diff", elfhash::cli::cmd_diff, "ELF-aware comparison of two files"},
    {"seal", elfhash::cli::cmd_seal, "the whole chain: strip, hash, patch vmlinux, install modules"},
};

int usage(FILE* out) {
  std::fprintf(out, "usage: elfhash COMMAND [ARGS...]\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(out, "  %-20s %s\n", c.name, c.summary);
  std::fprintf(out, "\n'elfhash COMMAND --help' describes a command. See docs/cli.md.\n");
  return out == stdout ? 0 : elfhash::cli::kExitError;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread: SIGINT/SIGTERM/SIGHUP remove this run's temporaries, then end the process.
  elfhash::install_signal_cleanup();
  if (argc < 2) return usage(stderr);
  std::string_view cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") return usage(stdout);
  for (const auto& c : kCommands)
    if (cmd == c.name) return elfhash::finish_run(c.run(argc - 1, argv + 1));
  std::fprintf(stderr, "elfhash: unknown command '%s'\n", argv[1]);
  return usage(stderr);
}
