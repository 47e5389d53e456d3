// elfhash: one deterministic binary for the kernel's objcopy/strip/module-hashes chain.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <string_view>

#include "elf/cleanup.h"
#include "tools/cli/commands.h"

namespace {

// Multi-call (docs/cli.md "Links"): the basename of argv[0] names the command when it is `objcopy`,
// `strip` or `<triple>-objcopy`/`<triple>-strip` (how kbuild's $(CROSS_COMPILE)objcopy and distro
// tools find binutils). `llvm-objcopy`/`llvm-strip` are LLVM's names and are not taken.
const char* multicall_command(std::string_view argv0) {
  auto slash = argv0.rfind('/');
  std::string_view base = slash == std::string_view::npos ? argv0 : argv0.substr(slash + 1);
  for (const char* tool : {"objcopy", "strip"}) {
    std::string_view t = tool;
    if (base == t) return tool;
    if (base.size() > t.size() + 1 && base.ends_with(t) && base[base.size() - t.size() - 1] == '-' &&
        !base.starts_with("llvm-"))
      return tool;
  }
  return nullptr;
}

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

// Library code returns errors as values; an exception can only be std::bad_alloc (or a bug). Either
// way it must end as one line and exit 2, never as std::terminate's abort (docs/threat-model.md).
void report_exception(const char* cmd) {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "elfhash: %s: out of memory\n", cmd);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "elfhash: %s: internal error: %s\n", cmd, e.what());
  } catch (...) {
    std::fprintf(stderr, "elfhash: %s: internal error: unknown exception\n", cmd);
  }
}

const char* g_command = "elfhash";

// Last resort for an exception thrown on a thread that does not catch it (the ones parallel_for
// starts do): report it the same way instead of aborting.
[[noreturn]] void on_terminate() {
  if (std::current_exception())
    report_exception(g_command);
  else
    std::fprintf(stderr, "elfhash: %s: internal error: std::terminate\n", g_command);
  std::fflush(stderr);
  _exit(elfhash::cli::kExitError);
}

int run(int argc, char** argv) {
  if (argc >= 1 && argv[0]) {
    if (const char* as = multicall_command(argv[0])) {
      for (const auto& c : kCommands)
        if (std::strcmp(c.name, as) == 0) {  // argv[0] stands for the command
          g_command = c.name;
          return elfhash::finish_run(c.run(argc, argv));
        }
    }
  }
  if (argc < 2) return usage(stderr);
  std::string_view cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") return usage(stdout);
  for (const auto& c : kCommands)
    if (cmd == c.name) {
      g_command = c.name;
      return elfhash::finish_run(c.run(argc - 1, argv + 1));
    }
  std::fprintf(stderr, "elfhash: unknown command '%s'\n", argv[1]);
  return usage(stderr);
}

}  // namespace

int main(int argc, char** argv) {
  std::set_terminate(on_terminate);
  // Before any thread: SIGINT/SIGTERM/SIGHUP remove this run's temporaries, then end the process.
  elfhash::install_signal_cleanup();
  try {
    return run(argc, argv);
  } catch (...) {
    report_exception(g_command);
    return elfhash::cli::kExitError;
  }
}
