#include "merkle/verify.h"

#include <fmt/core.h>

#include <cerrno>
#include <cstring>

#include "elf/bytes.h"
#include "merkle/trailer.h"

namespace elfhash::merkle {

const char* verify_code_name(VerifyCode c) {
  switch (c) {
    case VerifyCode::kOk: return "ok";
    case VerifyCode::kUnsigned: return "unsigned";
    case VerifyCode::kUnsupported: return "unsupported";
    case VerifyCode::kMalformed: return "malformed";
    case VerifyCode::kMismatch: return "mismatch";
  }
  return "?";
}

const char* verify_errno_name(VerifyCode c) {
  switch (c) {
    case VerifyCode::kOk: return "";
    case VerifyCode::kUnsigned: return "ENODATA";
    case VerifyCode::kUnsupported: return "ENOPKG";
    case VerifyCode::kMalformed: return "EBADMSG";
    case VerifyCode::kMismatch: return "ENOKEY";
  }
  return "?";
}

int verify_errno(VerifyCode c) {
  switch (c) {
    case VerifyCode::kOk: return 0;
    case VerifyCode::kUnsigned: return -ENODATA;
    case VerifyCode::kUnsupported: return -ENOPKG;
    case VerifyCode::kMalformed: return -EBADMSG;
    case VerifyCode::kMismatch: return -ENOKEY;
  }
  return -EINVAL;
}

namespace {

VerifyResult fail(VerifyCode c, std::string reason) { return {c, std::move(reason)}; }

// module_hash_check (spec §7.2 step 4): `image` is what is left after the struct and proof are cut off.
VerifyResult check_proof(std::span<const uint8_t> image, std::span<const uint8_t> proof,
                         const ModuleHashesRoot& root) {
  if (proof.size() != proof_size(root.levels))
    return fail(VerifyCode::kUnsupported,
                fmt::format("proof is {} bytes, vmlinux has {} levels and expects {}", proof.size(),
                            root.levels, proof_size(root.levels)));
  uint32_t pos = elf::load_be32(proof.data());
  Sha256 sha;
  Hash cur = sha.leaf(pos, image);
  const uint8_t* sib = proof.data() + 4;
  for (uint32_t i = 0; i < root.levels; ++i, pos >>= 1, sib += kHashSize) {
    Hash other;
    std::memcpy(other.data(), sib, kHashSize);
    // Bit i of pos says whether the running hash is the left (0) or right (1) input (spec §3.1).
    cur = (pos & 1) == 0 ? sha.node(cur, other) : sha.node(other, cur);
  }
  if (cur != root.root)
    return fail(VerifyCode::kMismatch, fmt::format("computed root {} differs from the expected root {} (pos {})",
                                                   to_hex(cur), to_hex(root.root), elf::load_be32(proof.data())));
  return {};
}

}  // namespace

VerifyResult verify_module(std::span<const uint8_t> module, const ModuleHashesRoot& root) {
  // Step 2: the marker must be there, with at least one byte before it.
  if (!(module.size() > kMarkerSize && has_trailer_marker(module)))
    return fail(VerifyCode::kUnsigned, "no signature marker");
  uint64_t len = module.size() - kMarkerSize;
  // Step 3, mod_verify_sig.
  if (len <= kSigInfoSize)
    return fail(VerifyCode::kMalformed, fmt::format("only {} bytes before the marker", len));
  ModuleSignature info = decode_sig_info(module.data() + len - kSigInfoSize);
  if (info.id_type == kIdTypePkcs7)
    return fail(VerifyCode::kUnsupported, "PKCS#7 signature (id_type 2): not verifiable with module hashes");
  if (info.id_type != kIdTypeMerkle)
    return fail(VerifyCode::kUnsupported, fmt::format("unknown signature id_type {}", info.id_type));
  // mod_check_sig: sig_len must leave at least one image byte, then the reserved fields must be zero.
  if (info.sig_len >= len - kSigInfoSize)
    return fail(VerifyCode::kMalformed,
                fmt::format("sig_len {} does not fit in the {} bytes before the struct", info.sig_len,
                            len - kSigInfoSize));
  if (!info.params_zero())
    return fail(VerifyCode::kMalformed, "signature info has unexpected non-zero params");
  uint64_t image_len = len - kSigInfoSize - info.sig_len;
  return check_proof(module.first(image_len), module.subspan(image_len, info.sig_len), root);
}

}  // namespace elfhash::merkle
