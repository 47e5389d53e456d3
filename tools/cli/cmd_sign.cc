// `elfhash sign`: the "sign" step of modules_install under CONFIG_MODULE_HASHES (spec §5.3:
// `cat $(objtree)/<stem>.merkle >> <installed module>`), atomic and refusing to stack trailers; and
// --pkcs7, the bytes of the kernel's scripts/sign-file for out-of-tree modules (docs/sign.md).
#include <fmt/core.h>

#include <cstdio>
#include <string>
#include <vector>

#include "elf/small_file.h"
#include "merkle/order.h"
#include "merkle/modsig/pkcs7.h"
#include "merkle/modsig/sign.h"
#include "merkle/modsig/trailer.h"
#include "tools/cli/commands.h"
#include "tools/cli/common.h"

namespace elfhash::cli {
namespace {

const char kUsage[] =
    "usage: elfhash sign --merkle PROOF [--replace] MODULE\n"
    "       elfhash sign --proofs-dir DIR --modules-dir MDIR [--order FILE] [--replace]\n"
    "       elfhash sign --pkcs7 [--hash ALGO] --key KEY.pem --cert CERT [--replace]\n"
    "                    [--allow-nondeterministic] MODULE...\n"
    "\n"
    "Appends a .merkle proof trailer to a module in place (atomically). A module that already ends\n"
    "in a signature trailer is refused unless --replace, which cuts the old trailer off first.\n"
    "The second form signs every installed module: MDIR/<stem>.ko gets DIR/<stem>.merkle, for every\n"
    "<stem>.o in modules.order (default DIR/modules.order), like modules_install does.\n"
    "The third form appends a PKCS#7 signature, byte for byte what the kernel's scripts/sign-file\n"
    "writes for the same key (PEM), certificate (DER or PEM) and module; --hash defaults to sha256.\n"
    "Only RSA (PKCS#1 v1.5) keys sign deterministically; others are refused unless\n"
    "--allow-nondeterministic.\n";

struct SignArgs {
  std::string merkle, proofs_dir, modules_dir, order;
  bool replace = false, pkcs7 = false;
  merkle::Pkcs7SignOptions p7;
};

int sign_one(const std::string& module, const std::string& proof, bool replace) {
  // A real proof has at most 32 levels (positions are be32): 44 + 32 * 32 bytes.
  auto trailer = read_regular_file(proof, merkle::trailer_size(32));
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

// Signs each module in turn with one loaded key; stops at the first failure like sign_tree().
int sign_pkcs7(const SignArgs& a, const std::vector<std::string>& modules) {
  auto signer = merkle::Pkcs7Signer::load(a.p7);
  if (!signer.ok()) return report(signer.error(), kExitError);
  for (const auto& m : modules) {
    auto st = merkle::append_trailer(m, a.replace, [&](std::span<const uint8_t> image) -> Result<std::vector<uint8_t>> {
      EH_ASSIGN(auto cms, signer->sign(image, m));
      return merkle::build_pkcs7_trailer(cms);
    });
    if (!st.ok()) return report(st.error(), kExitError);
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
                            {{"--hash"}, &a.p7.hash},
                            {{"--key"}, &a.p7.key_path},
                            {{"--cert"}, &a.p7.cert_path},
                            {{"--allow-nondeterministic"}, nullptr, &a.p7.allow_nondeterministic},
                            {{"--replace"}, nullptr, &a.replace}},
                           pos, help);
  if (help) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (err) return usage_error("sign", *err);
  bool p7_opts = !a.p7.key_path.empty() || !a.p7.cert_path.empty() || a.p7.hash != "sha256" ||
                 a.p7.allow_nondeterministic;
  if (a.pkcs7) {
    if (!a.merkle.empty() || !a.proofs_dir.empty() || !a.modules_dir.empty() || !a.order.empty())
      return usage_error("sign", "--pkcs7 cannot be combined with --merkle/--proofs-dir/--modules-dir/--order");
    if (a.p7.key_path.empty() || a.p7.cert_path.empty()) return usage_error("sign", "--pkcs7 needs --key and --cert");
    if (pos.empty()) return usage_error("sign", "--pkcs7 needs at least one MODULE");
    return sign_pkcs7(a, pos);
  }
  if (p7_opts) return usage_error("sign", "--hash/--key/--cert/--allow-nondeterministic go with --pkcs7");
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
