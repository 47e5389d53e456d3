// `elfhash sign`: the "sign" step of modules_install under CONFIG_MODULE_HASHES (spec §5.3:
// `cat $(objtree)/<stem>.merkle >> <installed module>`), atomic and refusing to stack trailers.
#include <fmt/core.h>

#include <cstdio>
#include <string>
#include <vector>

#include "merkle/io.h"
#include "merkle/order.h"
#include "merkle/sign.h"
#include "merkle/trailer.h"
#include "tools/cli/commands.h"
#include "tools/cli/common.h"

namespace elfhash::cli {
namespace {

const char kUsage[] =
    "usage: elfhash sign --merkle PROOF [--replace] MODULE\n"
    "       elfhash sign --proofs-dir DIR --modules-dir MDIR [--order FILE] [--replace]\n"
    "       elfhash sign --pkcs7 ...            (not implemented yet)\n"
    "\n"
    "Appends a .merkle proof trailer to a module in place (atomically). A module that already ends\n"
    "in a signature trailer is refused unless --replace, which cuts the old trailer off first.\n"
    "The second form signs every installed module: MDIR/<stem>.ko gets DIR/<stem>.merkle, for every\n"
    "<stem>.o in modules.order (default DIR/modules.order), like modules_install does.\n";

struct SignArgs {
  std::string merkle, proofs_dir, modules_dir, order;
  bool replace = false, pkcs7 = false;
};

int sign_one(const std::string& module, const std::string& proof, bool replace) {
  // A real proof has at most 32 levels (positions are be32): 44 + 32 * 32 bytes.
  auto trailer = merkle::read_regular_file(proof, merkle::trailer_size(32));
  if (!trailer.ok()) return report(trailer.error(), kExitError);
  auto st = merkle::sign_module(module, *trailer, proof, replace);
  if (!st.ok()) return report(st.error(), kExitError);
  return kExitOk;
}

int sign_tree(const SignArgs& a) {
  std::string order = a.order.empty() ? merkle::join_path(a.proofs_dir, "modules.order") : a.order;
  auto stems = merkle::read_modules_order(order);
  if (!stems.ok()) return report(stems.error(), kExitError);
  // Stop at the first failure: later modules stay untouched and the run can be repeated with --replace.
  for (const auto& stem : *stems) {
    int rc = sign_one(merkle::join_path(a.modules_dir, stem + ".ko"), merkle::join_path(a.proofs_dir, stem + ".merkle"),
                      a.replace);
    if (rc != kExitOk) return rc;
  }
  return kExitOk;
}

}  // namespace

int cmd_sign(int argc, char** argv) {
  SignArgs a;
  std::vector<std::string> pos;
  bool help = false;
  auto err = parse_options(argc, argv,
                           {{{"--merkle"}, &a.merkle},
                            {{"--proofs-dir"}, &a.proofs_dir},
                            {{"--modules-dir"}, &a.modules_dir},
                            {{"--order"}, &a.order},
                            {{"--pkcs7"}, nullptr, &a.pkcs7},
                            {{"--replace"}, nullptr, &a.replace}},
                           pos, help);
  if (help) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (a.pkcs7) {
    std::fprintf(stderr, "elfhash: sign --pkcs7 is not implemented\n");
    return kExitError;
  }
  if (err) return usage_error("sign", *err);
  if (!a.merkle.empty()) {
    if (!a.proofs_dir.empty() || !a.modules_dir.empty() || !a.order.empty())
      return usage_error("sign", "--merkle cannot be combined with --proofs-dir/--modules-dir/--order");
    if (pos.size() != 1) return usage_error("sign", "--merkle PROOF signs exactly one MODULE");
    return sign_one(pos[0], a.merkle, a.replace);
  }
  if (!a.proofs_dir.empty() || !a.modules_dir.empty()) {
    if (a.proofs_dir.empty() || a.modules_dir.empty())
      return usage_error("sign", "--proofs-dir and --modules-dir go together");
    if (!pos.empty()) return usage_error("sign", fmt::format("unexpected argument '{}'", pos[0]));
    return sign_tree(a);
  }
  return usage_error("sign", "nothing to do: give --merkle PROOF MODULE or --proofs-dir/--modules-dir");
}

}  // namespace elfhash::cli
