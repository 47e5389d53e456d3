// The kernel's v5 module check (spec §7.2 steps 2-4, kernel/module/auth.c + hashes.c) for a kernel built
// with CONFIG_MODULE_HASHES only: a PKCS#7 signature cannot be checked and counts as "unsupported".
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "merkle/module_hashes.h"

namespace elfhash::merkle {

enum class VerifyCode {
  kOk,           // 0
  kUnsigned,     // -ENODATA: no marker
  kUnsupported,  // -ENOPKG: id_type not 3, or proof length not 4 + 32 * levels
  kMalformed,    // -EBADMSG: too short, sig_len too large, non-zero parameters
  kMismatch,     // -ENOKEY: the recomputed root differs
};

struct VerifyResult {
  VerifyCode code = VerifyCode::kOk;
  std::string reason;  // empty for kOk
  bool ok() const { return code == VerifyCode::kOk; }
};

// "ok", "unsigned", "unsupported", "malformed", "mismatch".
const char* verify_code_name(VerifyCode c);
// "", "ENODATA", "ENOPKG", "EBADMSG", "ENOKEY".
const char* verify_errno_name(VerifyCode c);
// The negative errno the kernel returns (0, -61, -65, -74, -126 on Linux).
int verify_errno(VerifyCode c);

VerifyResult verify_module(std::span<const uint8_t> module, const ModuleHashesRoot& root);

}  // namespace elfhash::merkle
