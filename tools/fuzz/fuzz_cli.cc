// libFuzzer target: the command-line parsing of objcopy, strip, seal (including its
// --install-mod-strip value, itself strip options) and tree, without running the commands. Input: byte
// 0 picks the command, the rest is argv split on NUL bytes (at most 64 arguments). Parsing must
// return a usage error or a result, never crash, hang or throw.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tools/cli/commands.h"
#include "tools/cli/copy_options.h"

using namespace elfhash::cli;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const char* const kNames[] = {"objcopy", "strip", "seal", "tree"};
  const unsigned cmd = data[0] % 4;
  std::vector<std::string> words{kNames[cmd]};
  std::string cur;
  for (size_t i = 1; i < size && words.size() < 64; ++i) {
    if (data[i] == 0) {
      words.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(static_cast<char>(data[i]));
    }
  }
  if (!cur.empty() && words.size() < 64) words.push_back(cur);
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  const int argc = static_cast<int>(words.size());
  if (cmd < 2) {
    ParsedCopyArgs a;
    (void)parse_copy_args(cmd == 0 ? CopyTool::kObjcopy : CopyTool::kStrip, argc, argv.data(), a);
  } else if (cmd == 2) {
    (void)check_seal_args(argc, argv.data());
  } else {
    (void)check_tree_args(argc, argv.data());
  }
  return 0;
}
