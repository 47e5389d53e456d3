#include "merkle/modsig/pkcs7_verify.h"

#include <fmt/core.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <climits>
#include <memory>

#include "merkle/modsig/pkcs7.h"

namespace elfhash::modsig {
namespace {

using merkle::VerifyCode;
using merkle::VerifyResult;

VerifyResult fail(VerifyCode c, std::string reason) { return {c, std::move(reason)}; }

struct CmsFree {
  void operator()(CMS_ContentInfo* p) const { CMS_ContentInfo_free(p); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};

std::string signer_id(CMS_SignerInfo* si) {
  ASN1_OCTET_STRING* keyid = nullptr;
  X509_NAME* issuer = nullptr;
  ASN1_INTEGER* serial = nullptr;
  if (CMS_SignerInfo_get0_signer_id(si, &keyid, &issuer, &serial) != 1) return "unknown signer";
  if (keyid) return "subjectKeyIdentifier " + merkle::colon_hex({ASN1_STRING_get0_data(keyid),
                                                                 static_cast<size_t>(ASN1_STRING_length(keyid))});
  std::string s = "serial ";
  if (BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr)) {
    std::vector<uint8_t> v(BN_num_bytes(bn));
    BN_bn2bin(bn, v.data());
    BN_free(bn);
    s += merkle::colon_hex(v);
  }
  return s;
}

// public_key_verify_signature on the digest the kernel computed (pkcs7_digest, no signed attributes):
// the signature is over the module's digest (for RSA, PKCS#1 v1.5 DigestInfo).
bool signature_matches(EVP_PKEY* key, const EVP_MD* md, std::span<const uint8_t> digest,
                       const ASN1_OCTET_STRING* sig) {
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new(key, nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1) return false;
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA && EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1)
    return false;
  if (EVP_PKEY_CTX_set_signature_md(ctx.get(), md) != 1) return false;
  return EVP_PKEY_verify(ctx.get(), ASN1_STRING_get0_data(sig), ASN1_STRING_length(sig), digest.data(),
                         digest.size()) == 1;
}

VerifyResult check_signers(CMS_ContentInfo* cms, std::span<const uint8_t> image, const CertStore& certs) {
  STACK_OF(CMS_SignerInfo)* sis = CMS_get0_SignerInfos(cms);
  int n = sis ? sk_CMS_SignerInfo_num(sis) : 0;
  std::string unknown;
  for (int i = 0; i < n; ++i) {
    CMS_SignerInfo* si = sk_CMS_SignerInfo_value(sis, i);
    // pkcs7_verify for VERIFYING_MODULE_SIGNATURE: "Invalid module sig (has authattrs)".
    if (CMS_signed_get_attr_count(si) > 0)
      return fail(VerifyCode::kRejected, "PKCS#7 signer has signed attributes (the kernel refuses them for modules)");
    X509_ALGOR* dig = nullptr;
    CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &dig, nullptr);
    const ASN1_OBJECT* obj = nullptr;
    if (dig) X509_ALGOR_get0(&obj, nullptr, nullptr, dig);
    const EVP_MD* md = obj ? EVP_get_digestbyobj(obj) : nullptr;
    if (!md) return fail(VerifyCode::kUnsupported, "PKCS#7 digest algorithm unknown");
    // pkcs7_validate_trust_one: the signer's key is looked up in the keyring by issuer + serial (or
    // subjectKeyIdentifier); sign-file puts no certificate in the message.
    X509* cert = nullptr;
    for (size_t c = 0; c < certs.size() && !cert; ++c)
      if (CMS_SignerInfo_cert_cmp(si, static_cast<X509*>(certs.x509(c))) == 0) cert = static_cast<X509*>(certs.x509(c));
    if (!cert) {
      unknown = signer_id(si);
      continue;
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    if (EVP_Digest(image.data(), image.size(), digest, &dlen, md, nullptr) != 1)
      return fail(VerifyCode::kUnsupported, "PKCS#7 digest algorithm not available");
    if (!signature_matches(X509_get0_pubkey(cert), md, {digest, dlen}, CMS_SignerInfo_get0_signature(si))) {
      ERR_clear_error();
      return fail(VerifyCode::kRejected,
                  fmt::format("bad digest: the PKCS#7 signature by {} does not match the module's {} digest",
                              signer_id(si), EVP_MD_get0_name(md)));
    }
    return {};
  }
  if (n == 0) return fail(VerifyCode::kMismatch, "PKCS#7 message has no signer");
  return fail(VerifyCode::kMismatch,
              fmt::format("wrong key: no trusted certificate matches the signer ({}; {} certificates)", unknown,
                          certs.size()));
}

}  // namespace

VerifyResult check_pkcs7(std::span<const uint8_t> image, std::span<const uint8_t> der, const CertStore& certs) {
  ERR_clear_error();
  if (der.size() > LONG_MAX) return fail(VerifyCode::kMalformed, "PKCS#7 message too large");
  const unsigned char* p = der.data();
  std::unique_ptr<CMS_ContentInfo, CmsFree> cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  ERR_clear_error();
  // pkcs7_parse_message: anything the ASN.1 decoder rejects is -EBADMSG.
  if (!cms || p != der.data() + der.size())
    return fail(VerifyCode::kMalformed, "PKCS#7 signature does not parse as one DER CMS message");
  if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed)
    return fail(VerifyCode::kMalformed, "PKCS#7 message is not SignedData");
  // pkcs7_verify: "Invalid module sig (not pkcs7-data)".
  if (OBJ_obj2nid(CMS_get0_eContentType(cms.get())) != NID_pkcs7_data)
    return fail(VerifyCode::kRejected, "PKCS#7 content type is not data");
  // pkcs7_supply_detached_data: "Data already supplied".
  ASN1_OCTET_STRING** content = CMS_get0_content(cms.get());
  if (content && *content) return fail(VerifyCode::kInvalid, "PKCS#7 message is not detached (it embeds content)");
  return check_signers(cms.get(), image, certs);
}

}  // namespace elfhash::modsig
