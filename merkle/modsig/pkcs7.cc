#include "merkle/modsig/pkcs7.h"

#include <fmt/core.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstring>

#include "elf/bytes.h"
#include "elf/small_file.h"
#include "merkle/modsig/trailer.h"

namespace elfhash::merkle {
namespace {

// RAII for OpenSSL objects.
template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
void bio_free(BIO* b) { BIO_free(b); }
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, bio_free>>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo, Deleter<CMS_ContentInfo, CMS_ContentInfo_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;

// The first queued OpenSSL error as text (the queue is then cleared), for one-line messages.
std::string openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

// kmod's names for the digest algorithms the kernel knows (libkmod-signature.c pkey_hash_algo).
std::string hash_name(int nid) {
  switch (nid) {
    case NID_md4: return "md4";
    case NID_md5: return "md5";
    case NID_sha1: return "sha1";
    case NID_ripemd160: return "rmd160";
    case NID_sha224: return "sha224";
    case NID_sha256: return "sha256";
    case NID_sha384: return "sha384";
    case NID_sha512: return "sha512";
    case NID_sm3: return "sm3";
    default: break;
  }
  const char* sn = nid == NID_undef ? nullptr : OBJ_nid2sn(nid);
  if (!sn) return "unknown";
  std::string s = sn;
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string algor_name(const X509_ALGOR* a) {
  const ASN1_OBJECT* obj = nullptr;
  X509_ALGOR_get0(&obj, nullptr, nullptr, a);
  if (!obj) return "unknown";
  char buf[128];
  int n = OBJ_obj2txt(buf, sizeof buf, obj, 0);
  return n > 0 ? std::string(buf, std::min<size_t>(n, sizeof buf - 1)) : "unknown";
}

std::vector<uint8_t> octets(const ASN1_STRING* s) {
  if (!s) return {};
  const uint8_t* p = ASN1_STRING_get0_data(s);
  return std::vector<uint8_t>(p, p + ASN1_STRING_length(s));
}

int refuse_password(char*, int, int, void*) { return -1; }

}  // namespace

std::string colon_hex(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() * 3);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i) out += ':';
    out += fmt::format("{:02X}", bytes[i]);
  }
  return out;
}

Result<Pkcs7Info> parse_pkcs7(std::span<const uint8_t> der, const std::string& name, uint64_t offset) {
  ERR_clear_error();
  if (der.size() > LONG_MAX) return make_error(name, offset, "PKCS#7 message too large");
  const unsigned char* p = der.data();
  CmsPtr cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (!cms) return make_error(name, offset, "signature is not a DER PKCS#7/CMS message: " + openssl_error());
  if (p != der.data() + der.size())
    return make_error(name, offset + (p - der.data()),
                      fmt::format("{} bytes after the end of the PKCS#7 message", der.data() + der.size() - p));
  if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_signed)
    return make_error(name, offset, "PKCS#7 message is not SignedData");
  STACK_OF(CMS_SignerInfo)* sis = CMS_get0_SignerInfos(cms.get());
  int n = sis ? sk_CMS_SignerInfo_num(sis) : 0;
  if (n <= 0) return make_error(name, offset, "PKCS#7 message has no signer");
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(sis, 0);

  Pkcs7Info info;
  info.signers = static_cast<uint32_t>(n);
  ASN1_OCTET_STRING** content = CMS_get0_content(cms.get());
  info.detached = !content || !*content;
  ASN1_OCTET_STRING* keyid = nullptr;
  X509_NAME* issuer = nullptr;
  ASN1_INTEGER* serial = nullptr;
  if (CMS_SignerInfo_get0_signer_id(si, &keyid, &issuer, &serial) != 1)
    return make_error(name, offset, "PKCS#7 signer has no identifier");
  if (keyid) {
    info.key_id_is_skid = true;
    info.key_id = octets(keyid);
  } else {
    // kmod shows the serial as its minimal big-endian magnitude (BN_bn2bin), so do the same.
    BnPtr bn(ASN1_INTEGER_to_BN(serial, nullptr));
    if (!bn) return make_error(name, offset, "PKCS#7 signer serial number: " + openssl_error());
    info.key_id.resize(BN_num_bytes(bn.get()));
    BN_bn2bin(bn.get(), info.key_id.data());
    // The signer is the issuer's common name: the certificate itself is not in the message.
    int cn = issuer ? X509_NAME_get_index_by_NID(issuer, NID_commonName, -1) : -1;
    if (cn >= 0) {
      std::vector<uint8_t> v = octets(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(issuer, cn)));
      info.signer.assign(v.begin(), v.end());
    }
  }
  X509_ALGOR *dig = nullptr, *sig = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &dig, &sig);
  if (dig) {
    const ASN1_OBJECT* obj = nullptr;
    X509_ALGOR_get0(&obj, nullptr, nullptr, dig);
    info.hash_algo = hash_name(obj ? OBJ_obj2nid(obj) : NID_undef);
  }
  if (sig) info.sig_algo = algor_name(sig);
  info.signature = octets(CMS_SignerInfo_get0_signature(si));
  return info;
}

struct Pkcs7Signer::Impl {
  PkeyPtr key;
  X509Ptr cert;
  const EVP_MD* md = nullptr;
};

Pkcs7Signer::Pkcs7Signer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Pkcs7Signer::Pkcs7Signer(Pkcs7Signer&&) noexcept = default;
Pkcs7Signer& Pkcs7Signer::operator=(Pkcs7Signer&&) noexcept = default;
Pkcs7Signer::~Pkcs7Signer() = default;

constexpr uint64_t kMaxKeyFile = 1 << 20;

Result<Pkcs7Signer> Pkcs7Signer::load(const Pkcs7SignOptions& opts) {
  ERR_clear_error();
  auto impl = std::make_unique<Impl>();
  impl->md = EVP_get_digestbyname(opts.hash.c_str());
  if (!impl->md) return make_error(opts.hash, kNoOffset, "unknown hash algorithm");

  // Keys and certificates are a few KB: read through the bounded reader (elf/small_file.h), so a
  // FIFO or /dev/zero is refused instead of read forever.
  EH_ASSIGN(std::vector<uint8_t> key_bytes, read_regular_file(opts.key_path, kMaxKeyFile));
  BioPtr kb(BIO_new_mem_buf(key_bytes.data(), static_cast<int>(key_bytes.size())));
  if (!kb) return make_error(opts.key_path, kNoOffset, "out of memory: " + openssl_error());
  impl->key.reset(PEM_read_bio_PrivateKey(kb.get(), nullptr, refuse_password, nullptr));
  if (!impl->key)
    return make_error(opts.key_path, kNoOffset,
                      "not an unencrypted PEM private key: " + openssl_error());

  // DER first, then PEM, as sign-file reads the certificate.
  EH_ASSIGN(std::vector<uint8_t> cert_bytes, read_regular_file(opts.cert_path, kMaxKeyFile));
  BioPtr cb(BIO_new_mem_buf(cert_bytes.data(), static_cast<int>(cert_bytes.size())));
  if (!cb) return make_error(opts.cert_path, kNoOffset, "out of memory: " + openssl_error());
  impl->cert.reset(d2i_X509_bio(cb.get(), nullptr));
  if (!impl->cert) {
    ERR_clear_error();
    BIO_reset(cb.get());
    impl->cert.reset(PEM_read_bio_X509(cb.get(), nullptr, refuse_password, nullptr));
  }
  if (!impl->cert) return make_error(opts.cert_path, kNoOffset, "not an X.509 certificate (DER or PEM): " + openssl_error());
  if (X509_check_private_key(impl->cert.get(), impl->key.get()) != 1) {
    ERR_clear_error();
    return make_error(opts.key_path, kNoOffset, fmt::format("private key does not match certificate {}", opts.cert_path));
  }
  int type = EVP_PKEY_get_base_id(impl->key.get());
  if (type != EVP_PKEY_RSA && !opts.allow_nondeterministic) {
    std::string why = type == EVP_PKEY_EC        ? "ECDSA signatures use a random nonce"
                      : type == EVP_PKEY_RSA_PSS ? "RSA-PSS signatures use a random salt"
                                                 : fmt::format("{} keys are not RSA PKCS#1 v1.5",
                                                               OBJ_nid2sn(type) ? OBJ_nid2sn(type) : "these");
    return make_error(opts.key_path, kNoOffset,
                      why + ", so the signed module would differ on every run (RSA PKCS#1 v1.5 does not); "
                            "use --allow-nondeterministic to sign anyway");
  }
  return Pkcs7Signer(std::move(impl));
}

// The calls and flags of scripts/sign-file.c (CMS branch, default options): CMS_sign with NOCERTS |
// PARTIAL | BINARY | DETACHED | STREAM, CMS_add1_signer with NOCERTS | BINARY | NOSMIMECAP | NOATTR
// (no -k: issuer and serial), CMS_final with NOCERTS | BINARY, then i2d_CMS_bio_stream.
Result<std::vector<uint8_t>> Pkcs7Signer::sign(std::span<const uint8_t> image, const std::string& name) const {
  ERR_clear_error();
  if (image.size() > INT_MAX) return make_error(name, kNoOffset, "module image too large to sign");
  BioPtr in(BIO_new_mem_buf(image.data(), static_cast<int>(image.size())));
  CmsPtr cms(CMS_sign(nullptr, nullptr, nullptr, nullptr,
                      CMS_NOCERTS | CMS_PARTIAL | CMS_BINARY | CMS_DETACHED | CMS_STREAM));
  if (!in || !cms) return make_error(name, kNoOffset, "CMS_sign: " + openssl_error());
  if (!CMS_add1_signer(cms.get(), impl_->cert.get(), impl_->key.get(), impl_->md,
                       CMS_NOCERTS | CMS_BINARY | CMS_NOSMIMECAP | CMS_NOATTR))
    return make_error(name, kNoOffset, "CMS_add1_signer: " + openssl_error());
  if (CMS_final(cms.get(), in.get(), nullptr, CMS_NOCERTS | CMS_BINARY) != 1)
    return make_error(name, kNoOffset, "CMS_final: " + openssl_error());
  BioPtr out(BIO_new(BIO_s_mem()));
  if (!out || i2d_CMS_bio_stream(out.get(), cms.get(), nullptr, 0) != 1)
    return make_error(name, kNoOffset, "i2d_CMS_bio_stream: " + openssl_error());
  char* data = nullptr;
  long len = BIO_get_mem_data(out.get(), &data);
  if (len <= 0 || static_cast<uint64_t>(len) > UINT32_MAX)
    return make_error(name, kNoOffset, "empty or oversized PKCS#7 message");
  return std::vector<uint8_t>(data, data + len);
}

std::vector<uint8_t> build_pkcs7_trailer(std::span<const uint8_t> cms) {
  std::vector<uint8_t> out(cms.begin(), cms.end());
  ModuleSignature info;
  info.id_type = kIdTypePkcs7;
  info.sig_len = static_cast<uint32_t>(cms.size());
  auto enc = encode_sig_info(info);
  out.insert(out.end(), enc.begin(), enc.end());
  out.insert(out.end(), kMarker.begin(), kMarker.end());
  return out;
}

}  // namespace elfhash::merkle
