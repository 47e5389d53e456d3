// merkle/modsig/pkcs7.h and merkle/modsig/trailer_info.h: sign a generated fixture with keys generated here (OpenSSL),
// read the signature back, check it with OpenSSL's own CMS_verify, and check determinism and refusals.
// Byte equality with the kernel's sign-file is tools/tests/sign_test.sh and kernel_inspect_test.sh.
#include "merkle/modsig/pkcs7.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>

#include "merkle/test_util.h"
#include "merkle/modsig/trailer_info.h"

namespace elfhash::merkle {
namespace {

using testing::TempDir;

// Writes a fresh key (RSA 2048 or EC P-256) and a self-signed certificate with CN `cn` and `serial`.
void make_key(const std::string& key_path, const std::string& cert_path, bool ec, const char* cn, long serial) {
  EVP_PKEY* key = ec ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048);
  ASSERT_NE(key, nullptr);
  X509* x = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("elfhash"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(x, name);
  ASSERT_GT(X509_sign(x, key, EVP_sha256()), 0);
  FILE* kf = std::fopen(key_path.c_str(), "w");
  ASSERT_TRUE(PEM_write_PrivateKey(kf, key, nullptr, nullptr, 0, nullptr, nullptr));
  std::fclose(kf);
  FILE* cf = std::fopen(cert_path.c_str(), "w");
  ASSERT_TRUE(PEM_write_X509(cf, x));
  std::fclose(cf);
  X509_free(x);
  EVP_PKEY_free(key);
}

class Pkcs7Test : public ::testing::Test {
 protected:
  void SetUp() override {
    make_key(dir_ / "rsa.pem", dir_ / "rsa.crt", false, "elfhash test key", 0x1234abcd);
    image_ = testing::read_file("testdata/x86_64-module.o");
    ASSERT_FALSE(image_.empty());
  }
  Pkcs7SignOptions rsa() const { return {dir_ / "rsa.pem", dir_ / "rsa.crt", "sha256", false}; }
  TempDir dir_;
  std::vector<uint8_t> image_;
};

TEST_F(Pkcs7Test, SignParseAndVerifyWithOpenSsl) {
  auto signer = Pkcs7Signer::load(rsa());
  ASSERT_TRUE(signer.ok()) << signer.error().str();
  auto cms = signer->sign(image_, "m");
  ASSERT_TRUE(cms.ok()) << cms.error().str();
  auto info = parse_pkcs7(*cms, "m", 0);
  ASSERT_TRUE(info.ok()) << info.error().str();
  EXPECT_EQ(info->signer, "elfhash test key");
  EXPECT_EQ(colon_hex(info->key_id), "12:34:AB:CD");
  EXPECT_FALSE(info->key_id_is_skid);
  EXPECT_EQ(info->hash_algo, "sha256");
  EXPECT_EQ(info->sig_algo, "rsaEncryption");
  EXPECT_EQ(info->signature.size(), 256u);  // RSA-2048
  EXPECT_EQ(info->signers, 1u);
  EXPECT_TRUE(info->detached);

  // OpenSSL's verifier, given the certificate out of band (the message carries none, as sign-file's).
  const unsigned char* p = cms->data();
  CMS_ContentInfo* ci = d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(cms->size()));
  ASSERT_NE(ci, nullptr);
  EXPECT_EQ(CMS_get0_signers(ci), nullptr);  // no certificates inside
  BIO* cb = BIO_new_file((dir_ / "rsa.crt").c_str(), "r");
  X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
  STACK_OF(X509)* certs = sk_X509_new_null();
  sk_X509_push(certs, cert);
  auto verify = [&](const std::vector<uint8_t>& data) {
    BIO* in = BIO_new_mem_buf(data.data(), static_cast<int>(data.size()));
    int ok = CMS_verify(ci, certs, nullptr, in, nullptr, CMS_NOINTERN | CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY);
    BIO_free(in);
    return ok == 1;
  };
  EXPECT_TRUE(verify(image_));
  auto tampered = image_;
  tampered[tampered.size() / 2] ^= 1;
  EXPECT_FALSE(verify(tampered));
  sk_X509_pop_free(certs, X509_free);
  BIO_free(cb);
  CMS_ContentInfo_free(ci);
}

TEST_F(Pkcs7Test, DeterministicAcrossSignersAndRuns) {
  auto a = Pkcs7Signer::load(rsa());
  auto b = Pkcs7Signer::load(rsa());
  ASSERT_TRUE(a.ok() && b.ok());
  auto x = a->sign(image_, "m"), y = a->sign(image_, "m"), z = b->sign(image_, "m");
  ASSERT_TRUE(x.ok() && y.ok() && z.ok());
  EXPECT_EQ(*x, *y);
  EXPECT_EQ(*x, *z);
  auto other = image_;
  other.back() ^= 1;
  EXPECT_NE(*a->sign(other, "m"), *x);
}

TEST_F(Pkcs7Test, HashOptionReachesTheMessage) {
  auto o = rsa();
  o.hash = "sha512";
  auto s = Pkcs7Signer::load(o);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(parse_pkcs7(*s->sign(image_, "m"), "m", 0)->hash_algo, "sha512");
  o.hash = "no-such-hash";
  EXPECT_FALSE(Pkcs7Signer::load(o).ok());
}

TEST_F(Pkcs7Test, RefusesNondeterministicKeysUnlessAllowed) {
  make_key(dir_ / "ec.pem", dir_ / "ec.crt", true, "ec key", 7);
  Pkcs7SignOptions o{dir_ / "ec.pem", dir_ / "ec.crt", "sha256", false};
  auto refused = Pkcs7Signer::load(o);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("ECDSA signatures use a random nonce"), std::string::npos);
  o.allow_nondeterministic = true;
  auto s = Pkcs7Signer::load(o);
  ASSERT_TRUE(s.ok()) << s.error().str();
  auto info = parse_pkcs7(*s->sign(image_, "m"), "m", 0);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->signer, "ec key");
  EXPECT_EQ(info->sig_algo, "ecdsa-with-SHA256");
}

TEST_F(Pkcs7Test, RefusesKeyCertificateMismatch) {
  make_key(dir_ / "other.pem", dir_ / "other.crt", false, "other", 1);
  Pkcs7SignOptions o{dir_ / "other.pem", dir_ / "rsa.crt", "sha256", false};
  auto r = Pkcs7Signer::load(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("does not match"), std::string::npos);
}

TEST_F(Pkcs7Test, TrailerRoundTripThroughDescribe) {
  auto cms = Pkcs7Signer::load(rsa())->sign(image_, "m");
  ASSERT_TRUE(cms.ok());
  auto file = image_;
  auto t = build_pkcs7_trailer(*cms);
  file.insert(file.end(), t.begin(), t.end());
  auto d = describe_trailer(file, "m");
  ASSERT_TRUE(d.ok()) << d.error().str();
  EXPECT_EQ(d->trailer.kind, TrailerKind::kPkcs7);
  EXPECT_EQ(d->trailer.image_size, image_.size());
  EXPECT_EQ(d->trailer.info.sig_len, cms->size());
  ASSERT_TRUE(d->pkcs7);
  EXPECT_EQ(d->pkcs7->signer, "elfhash test key");

  // What the kernel would reject is an error here too (spec §7.2 step 3).
  auto nonzero = file;
  nonzero[nonzero.size() - kMarkerSize - kSigInfoSize + 3] = 1;  // signer_len
  EXPECT_NE(describe_trailer(nonzero, "m").error().message.find("non-zero"), std::string::npos);
  auto garbage = file;
  garbage[image_.size()] ^= 0xff;  // the DER SEQUENCE tag
  auto g = describe_trailer(garbage, "m");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().offset, image_.size());
  EXPECT_NE(g.error().message.find("not a DER PKCS#7"), std::string::npos);
  auto other = file;
  other[other.size() - kMarkerSize - kSigInfoSize + 2] = 9;  // id_type
  EXPECT_NE(describe_trailer(other, "m").error().message.find("id_type 9 is neither"), std::string::npos);
}

TEST(TrailerInfo, MerkleProof) {
  std::vector<Hash> sib(3);
  for (size_t i = 0; i < sib.size(); ++i) sib[i].fill(static_cast<uint8_t>(0x10 + i));
  std::vector<uint8_t> file = testing::bytes("\x7f" "ELF-ish image");
  auto t = build_merkle_trailer(5, sib);
  file.insert(file.end(), t.begin(), t.end());
  auto d = describe_trailer(file, "m");
  ASSERT_TRUE(d.ok()) << d.error().str();
  EXPECT_EQ(d->trailer.kind, TrailerKind::kMerkle);
  EXPECT_EQ(d->pos, 5u);
  EXPECT_EQ(d->levels, 3u);
  EXPECT_EQ(d->siblings, sib);
  EXPECT_EQ(d->trailer.image_size, 14u);
  file[file.size() - kMarkerSize - 1] = 4 + 32 * 3 - 1;  // sig_len low byte: no longer 4 + 32k
  auto bad = describe_trailer(file, "m");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("is not 44 + 32 * levels"), std::string::npos) << bad.error().str();
}

TEST(TrailerInfo, NoTrailer) {
  auto d = describe_trailer(testing::bytes("plain bytes"), "m");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->trailer.kind, TrailerKind::kNone);
}

}  // namespace
}  // namespace elfhash::merkle
