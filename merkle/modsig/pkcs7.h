// PKCS#7 (CMS SignedData) module signatures, the other trailer kind (spec §3.2: id_type 2). Parsing
// reports what kmod's modinfo shows (signer, sig_key, sig_hashalgo, signature); signing produces the
// bytes the kernel's scripts/sign-file produces for the same key, certificate and module
// (docs/sign.md). OpenSSL does the ASN.1 work on both sides.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "elf/error.h"

namespace elfhash::merkle {

struct Pkcs7Info {
  std::string signer;             // issuer CN of the (first) signer, "" if the issuer has none
  std::vector<uint8_t> key_id;    // issuer serial number (minimal big-endian bytes), or subjectKeyIdentifier
  bool key_id_is_skid = false;    // signer identified by subjectKeyIdentifier (sign-file -k)
  std::string hash_algo;          // digest algorithm, lower case as kmod prints it ("sha256")
  std::string sig_algo;           // signature algorithm ("rsaEncryption", "ecdsa-with-SHA256", ...)
  std::vector<uint8_t> signature; // the signer's signature value
  uint32_t signers = 0;           // number of SignerInfos (kmod shows the first)
  bool detached = true;           // no encapsulated content (what the kernel requires)
};

// Parses a DER CMS/PKCS#7 SignedData message (`der` = the trailer's sig_len bytes at file offset
// `offset`). Errors carry `name` and `offset`.
Result<Pkcs7Info> parse_pkcs7(std::span<const uint8_t> der, const std::string& name, uint64_t offset);

// "1B:A0:DB": upper-case hex bytes separated by colons, kmod's format for sig_key and signature.
std::string colon_hex(std::span<const uint8_t> bytes);

struct Pkcs7SignOptions {
  std::string key_path;   // PEM private key (unencrypted)
  std::string cert_path;  // X.509 certificate, DER or PEM (sign-file accepts both)
  std::string hash = "sha256";
  // RSA PKCS#1 v1.5 signatures are a function of key and message; other schemes (ECDSA, RSA-PSS) draw
  // a random nonce or salt, so the module bytes would change on every run. Refused unless set.
  bool allow_nondeterministic = false;
};

// A loaded key and certificate, reusable for many modules.
class Pkcs7Signer {
 public:
  static Result<Pkcs7Signer> load(const Pkcs7SignOptions& opts);
  Pkcs7Signer(Pkcs7Signer&&) noexcept;
  Pkcs7Signer& operator=(Pkcs7Signer&&) noexcept;
  ~Pkcs7Signer();

  // The DER CMS message sign-file makes for `image`: SignedData, detached, no certificates, no signed
  // attributes (so no signing time), signer identified by issuer and serial number.
  Result<std::vector<uint8_t>> sign(std::span<const uint8_t> image, const std::string& name) const;

 private:
  struct Impl;
  explicit Pkcs7Signer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// cms + struct module_signature (id_type 2, sig_len = cms size, big-endian; other fields 0) + marker.
std::vector<uint8_t> build_pkcs7_trailer(std::span<const uint8_t> cms);

}  // namespace elfhash::merkle
