#include "merkle/modsig/verify.h"

#include <fmt/core.h>

#include <cerrno>
#include <cstring>

#include "elf/bytes.h"
#include "merkle/modsig/pkcs7_verify.h"

namespace elfhash::merkle {

const char* verify_code_name(VerifyCode c) {
  switch (c) {
    case VerifyCode::kOk: return "ok";
    case VerifyCode::kUnsigned: return "unsigned";
    case VerifyCode::kUnsupported: return "unsupported";
    case VerifyCode::kMalformed: return "malformed";
    case VerifyCode::kMismatch: return "mismatch";
    case VerifyCode::kRejected: return "rejected";
    case VerifyCode::kInvalid: return "invalid";
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
    case VerifyCode::kRejected: return "EKEYREJECTED";
    case VerifyCode::kInvalid: return "EINVAL";
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
    case VerifyCode::kRejected: return -EKEYREJECTED;
    case VerifyCode::kInvalid: return -EINVAL;
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

VerifyResult check(std::span<const uint8_t> module, const KernelKeys& keys) {
  // Step 2: the marker must be there, with at least one byte before it. Step 3, mod_verify_sig.
  Frame f = frame_trailer(module);
  if (f.status == Framing::kNoMarker) return fail(VerifyCode::kUnsigned, "no signature marker");
  if (f.status == Framing::kTooShort)
    return fail(VerifyCode::kMalformed, fmt::format("only {} bytes before the marker", f.info_offset));
  // mod_sig_type_valid: only the kinds this kernel was built for.
  uint8_t id = f.info.id_type;
  if (id == kIdTypePkcs7 && !keys.certs)
    return fail(VerifyCode::kUnsupported, "PKCS#7 signature (id_type 2): not verifiable with module hashes");
  if (id == kIdTypeMerkle && !keys.root)
    return fail(VerifyCode::kUnsupported, "Merkle proof (id_type 3): the kernel has no .module_hashes");
  if (id != kIdTypeMerkle && id != kIdTypePkcs7)
    return fail(VerifyCode::kUnsupported, fmt::format("unknown signature id_type {}", id));
  // mod_check_sig: sig_len must leave at least one image byte, then the reserved fields must be zero.
  if (f.status == Framing::kSigLenTooLarge)
    return fail(VerifyCode::kMalformed, fmt::format("sig_len {} does not fit in the {} bytes before the struct",
                                                    f.info.sig_len, f.info_offset));
  if (!f.info.params_zero()) return fail(VerifyCode::kMalformed, "signature info has unexpected non-zero params");
  auto image = module.first(f.image_size);
  auto sig = module.subspan(f.image_size, f.info.sig_len);
  if (id == kIdTypePkcs7) return modsig::check_pkcs7(image, sig, *keys.certs);
  return check_proof(image, sig, *keys.root);
}

}  // namespace

VerifyResult verify_module(std::span<const uint8_t> module, const KernelKeys& keys) {
  VerifyResult r = check(module, keys);
  Frame f = frame_trailer(module);
  r.kind = f.status == Framing::kNoMarker        ? TrailerKind::kNone
           : f.info.id_type == kIdTypePkcs7  ? TrailerKind::kPkcs7
           : f.info.id_type == kIdTypeMerkle ? TrailerKind::kMerkle
                                             : TrailerKind::kOther;
  return r;
}

VerifyResult verify_module(std::span<const uint8_t> module, const ModuleHashesRoot& root) {
  return verify_module(module, KernelKeys{root, nullptr});
}

}  // namespace elfhash::merkle
