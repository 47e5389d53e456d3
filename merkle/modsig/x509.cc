#include "merkle/modsig/x509.h"

#include <fmt/core.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <climits>

#include "elf/small_file.h"

namespace elfhash::modsig {
namespace {

struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

std::string name_line(const X509_NAME* n) {
  BIO* b = BIO_new(BIO_s_mem());
  if (!b) return "";
  X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  long len = BIO_get_mem_data(b, &data);
  std::string s(data, len > 0 ? static_cast<size_t>(len) : 0);
  BIO_free(b);
  return s;
}

std::vector<uint8_t> octets(const ASN1_STRING* s) {
  if (!s) return {};
  const uint8_t* p = ASN1_STRING_get0_data(s);
  return {p, p + ASN1_STRING_length(s)};
}

CertInfo info_of(X509* x, size_t size) {
  CertInfo c;
  c.size = size;
  c.subject = name_line(X509_get_subject_name(x));
  c.issuer = name_line(X509_get_issuer_name(x));
  if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), nullptr)) {
    c.serial.resize(BN_num_bytes(bn));
    BN_bn2bin(bn, c.serial.data());
    BN_free(bn);
  }
  c.key_id = octets(X509_get0_subject_key_id(x));
  if (EVP_PKEY* k = X509_get0_pubkey(x)) {
    int id = EVP_PKEY_get_base_id(k);
    c.key_algo = OBJ_nid2ln(id) ? OBJ_nid2ln(id) : "unknown";
    c.key_bits = static_cast<uint32_t>(EVP_PKEY_get_bits(k));
  }
  ERR_clear_error();
  return c;
}

// Parses exactly `der` as one certificate.
X509Ptr parse_exact(std::span<const uint8_t> der) {
  if (der.size() > LONG_MAX) return nullptr;
  const unsigned char* p = der.data();
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  ERR_clear_error();
  if (x && p != der.data() + der.size()) x.reset();
  return x;
}

}  // namespace

size_t certificate_length(std::span<const uint8_t> d) {
  // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version ... } ...}: a long-form length of
  // 2 bytes (a certificate is 256 B .. 64 KiB), then the TBS SEQUENCE (RFC 5280 §4.1).
  if (d.size() < 8 || d[0] != 0x30 || d[1] != 0x82 || d[4] != 0x30 || (d[5] != 0x82 && d[5] != 0x81)) return 0;
  size_t len = 4 + ((size_t{d[2]} << 8) | d[3]);
  if (len > d.size()) return 0;
  return parse_exact(d.first(len)) ? len : 0;
}

Result<CertInfo> describe_certificate(std::span<const uint8_t> der, const std::string& name, uint64_t offset) {
  X509Ptr x = parse_exact(der);
  if (!x) return make_error(name, offset, "not a DER X.509 certificate");
  return info_of(x.get(), der.size());
}

struct CertStore::Impl {
  std::vector<X509Ptr> certs;
  std::vector<CertInfo> info;
};

CertStore::CertStore() : impl_(std::make_unique<Impl>()) {}
CertStore::CertStore(CertStore&&) noexcept = default;
CertStore& CertStore::operator=(CertStore&&) noexcept = default;
CertStore::~CertStore() = default;

Status CertStore::add_der(std::span<const uint8_t> der, const std::string& name, uint64_t offset) {
  X509Ptr x = parse_exact(der);
  if (!x) return make_error(name, offset, "not a DER X.509 certificate");
  impl_->info.push_back(info_of(x.get(), der.size()));
  impl_->certs.push_back(std::move(x));
  return ok_status();
}

Status CertStore::add_file(const std::string& path) {
  EH_ASSIGN(std::vector<uint8_t> bytes, read_regular_file(path, 16 << 20));
  if (parse_exact(bytes)) return add_der(bytes, path, 0);
  BIO* b = BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size()));
  size_t before = impl_->certs.size();
  while (X509* x = PEM_read_bio_X509(b, nullptr, nullptr, nullptr)) {
    int len = i2d_X509(x, nullptr);
    impl_->info.push_back(info_of(x, len > 0 ? static_cast<size_t>(len) : 0));
    impl_->certs.emplace_back(x);
  }
  BIO_free(b);
  ERR_clear_error();
  if (impl_->certs.size() == before) return make_error(path, kNoOffset, "no X.509 certificate (DER or PEM) in the file");
  return ok_status();
}

size_t CertStore::size() const { return impl_->certs.size(); }
const std::vector<CertInfo>& CertStore::info() const { return impl_->info; }
void* CertStore::x509(size_t i) const { return impl_->certs[i].get(); }

}  // namespace elfhash::modsig
