// The kernel's module check (spec §7.2 steps 2-5, kernel/module/auth.c + hashes.c of the v5 series,
// and kernel/module/signing.c + crypto/asymmetric_keys/pkcs7_verify.c for PKCS#7): id_type 3 against
// the .module_hashes root, id_type 2 against the built-in X.509 certificates. What the kernel was not
// built with (no root: no CONFIG_MODULE_HASHES; no certificates given: no CONFIG_MODULE_SIG) makes the
// other kind "not signed with expected signature" (-ENOPKG), as mod_sig_type_valid does.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "merkle/module_hashes.h"
#include "merkle/modsig/trailer.h"

namespace elfhash::modsig {
class CertStore;
}

namespace elfhash::merkle {

enum class VerifyCode {
  kOk,           // 0
  kUnsigned,     // -ENODATA: no marker
  kUnsupported,  // -ENOPKG: id_type not accepted, proof length not 4 + 32 * levels, unknown hash algorithm
  kMalformed,    // -EBADMSG: too short, sig_len too large, non-zero parameters, PKCS#7 that does not parse
  kMismatch,     // -ENOKEY: the recomputed root differs; no certificate matches the PKCS#7 signer (wrong key)
  kRejected,     // -EKEYREJECTED: the PKCS#7 signature does not verify (bad digest), or has signed attributes
  kInvalid,      // -EINVAL: the PKCS#7 message carries the module itself instead of being detached
};

struct VerifyResult {
  VerifyCode code = VerifyCode::kOk;
  std::string reason;                    // empty for kOk
  TrailerKind kind = TrailerKind::kNone;  // what the trailer claims to be (for summaries)
  bool ok() const { return code == VerifyCode::kOk; }
};

// "ok", "unsigned", "unsupported", "malformed", "mismatch", "rejected", "invalid".
const char* verify_code_name(VerifyCode c);
// "", "ENODATA", "ENOPKG", "EBADMSG", "ENOKEY", "EKEYREJECTED", "EINVAL".
const char* verify_errno_name(VerifyCode c);
// The negative errno the kernel returns (0, -61, -65, -74, -126, -129, -22 on Linux).
int verify_errno(VerifyCode c);

// What the kernel trusts.
struct KernelKeys {
  std::optional<ModuleHashesRoot> root;        // .module_hashes (CONFIG_MODULE_HASHES)
  const modsig::CertStore* certs = nullptr;    // system keyring (CONFIG_MODULE_SIG); may be empty
};

VerifyResult verify_module(std::span<const uint8_t> module, const KernelKeys& keys);
// A CONFIG_MODULE_HASHES-only kernel.
VerifyResult verify_module(std::span<const uint8_t> module, const ModuleHashesRoot& root);

}  // namespace elfhash::merkle
