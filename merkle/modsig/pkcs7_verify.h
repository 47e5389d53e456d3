// The kernel's check of a PKCS#7 module signature (kernel/module/signing.c mod_verify_sig ->
// verify_pkcs7_signature, crypto/asymmetric_keys/pkcs7_verify.c + pkcs7_trust.c) against the
// certificates of the system keyring, with the kernel's errno for each way it fails.
#pragma once

#include <cstdint>
#include <span>

#include "merkle/modsig/x509.h"
#include "merkle/modsig/verify.h"

namespace elfhash::modsig {

// `image` is the module without its trailer, `der` the sig_len bytes of the PKCS#7 message.
merkle::VerifyResult check_pkcs7(std::span<const uint8_t> image, std::span<const uint8_t> der,
                                 const CertStore& certs);

}  // namespace elfhash::modsig
