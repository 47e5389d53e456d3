// One entry point per subcommand, each in its own cmd_<name>.cc. argv[0] is the subcommand name.
// Exit codes (all commands): 0 success; 1 a negative answer (verify failed, diff found differences);
// 2 usage error or bad input (message on stderr, no output file written).
#pragma once

#include <optional>
#include <string>

namespace elfhash::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitNegative = 1;
inline constexpr int kExitError = 2;

// elfhash's release, printed by `objcopy --version`/`strip --version`.
inline constexpr const char* kElfhashVersion = "0.11";

int cmd_objcopy(int argc, char** argv);
int cmd_strip(int argc, char** argv);
int cmd_modules_merkle_tree(int argc, char** argv);
int cmd_tree(int argc, char** argv);
int cmd_patch(int argc, char** argv);
int cmd_sign(int argc, char** argv);
int cmd_verify(int argc, char** argv);
int cmd_inspect(int argc, char** argv);
int cmd_diff(int argc, char** argv);
int cmd_seal(int argc, char** argv);

// The command-line parsing of seal and tree alone, without running anything (tools/fuzz/fuzz_cli.cc):
// a usage error, or nullopt.
std::optional<std::string> check_seal_args(int argc, char** argv);
std::optional<std::string> check_tree_args(int argc, char** argv);

}  // namespace elfhash::cli
