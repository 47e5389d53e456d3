// X.509 certificates as the kernel's system keyring holds them (certs/system_keyring.c): DER blobs
// built into vmlinux (`system_certificate_list`) or given with `verify --cert`. OpenSSL does the ASN.1.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "elf/error.h"

namespace elfhash::modsig {

struct CertInfo {
  std::string subject;            // one line, OpenSSL's RFC 2253 form ("CN=...,O=...")
  std::string issuer;
  std::vector<uint8_t> serial;    // minimal big-endian magnitude
  std::vector<uint8_t> key_id;    // subjectKeyIdentifier, empty when the certificate has none
  std::string key_algo;           // "rsaEncryption", "id-ecPublicKey", ...
  uint32_t key_bits = 0;
  uint64_t size = 0;              // DER length
};

// Length of the DER certificate at the start of `data` when it opens with a SEQUENCE header whose
// length fits and OpenSSL parses exactly those bytes as an X.509 certificate; 0 otherwise. Cheap to
// call at every offset of a kernel image: most offsets fail on the first bytes.
size_t certificate_length(std::span<const uint8_t> data);

Result<CertInfo> describe_certificate(std::span<const uint8_t> der, const std::string& name, uint64_t offset);

// The certificates a PKCS#7 module signature is checked against.
class CertStore {
 public:
  CertStore();
  CertStore(CertStore&&) noexcept;
  CertStore& operator=(CertStore&&) noexcept;
  ~CertStore();

  // One DER certificate.
  Status add_der(std::span<const uint8_t> der, const std::string& name, uint64_t offset);
  // A file of one DER certificate or any number of PEM ones (what sign-file and the kernel's
  // CONFIG_SYSTEM_TRUSTED_KEYS accept).
  Status add_file(const std::string& path);
  size_t size() const;
  const std::vector<CertInfo>& info() const;
  // OpenSSL's X509* of certificate i (opaque here so that callers need no OpenSSL headers).
  void* x509(size_t i) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace elfhash::modsig
