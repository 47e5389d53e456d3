#include "merkle/sha256.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

namespace elfhash::merkle {
namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "elfhash: OpenSSL %s failed\n", what);
  std::abort();
}

// Fetch the implementation once: with OpenSSL 3, passing EVP_sha256() to every DigestInit would repeat
// the provider lookup for each of the thousands of node hashes.
const EVP_MD* sha256_md() {
  static const EVP_MD* md = [] {
    const EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (m == nullptr) m = EVP_sha256();
    if (m == nullptr || EVP_MD_get_size(m) != static_cast<int>(kHashSize)) die("SHA-256 lookup");
    return m;
  }();
  return md;
}

EVP_MD_CTX* as_ctx(void* p) { return static_cast<EVP_MD_CTX*>(p); }

}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr) die("EVP_MD_CTX_new");
}

Sha256::~Sha256() { EVP_MD_CTX_free(as_ctx(ctx_)); }

void Sha256::init() {
  if (EVP_DigestInit_ex(as_ctx(ctx_), sha256_md(), nullptr) != 1) die("EVP_DigestInit_ex");
}

void Sha256::update(const void* data, size_t size) {
  if (size == 0) return;
  if (EVP_DigestUpdate(as_ctx(ctx_), data, size) != 1) die("EVP_DigestUpdate");
}

void Sha256::update(std::span<const uint8_t> data) { update(data.data(), data.size()); }

Hash Sha256::final() {
  Hash h;
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(as_ctx(ctx_), h.data(), &len) != 1 || len != kHashSize) die("EVP_DigestFinal_ex");
  return h;
}

void Sha256::init_leaf(uint32_t pos) {
  const uint8_t prefix[5] = {kLeafPrefix, static_cast<uint8_t>(pos >> 24), static_cast<uint8_t>(pos >> 16),
                             static_cast<uint8_t>(pos >> 8), static_cast<uint8_t>(pos)};
  init();
  update(prefix, sizeof prefix);
}

Hash Sha256::leaf(uint32_t pos, std::span<const uint8_t> data) {
  init_leaf(pos);
  update(data);
  return final();
}

Hash Sha256::node(const Hash& left, const Hash& right) {
  init();
  update(&kNodePrefix, 1);
  update(left);
  update(right);
  return final();
}

Hash sha256(std::span<const uint8_t> data) {
  Sha256 s;
  s.init();
  s.update(data);
  return s.final();
}

Hash leaf_hash(uint32_t pos, std::span<const uint8_t> data) { return Sha256().leaf(pos, data); }

Hash node_hash(const Hash& left, const Hash& right) { return Sha256().node(left, right); }

std::string to_hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    s.push_back(kDigits[b >> 4]);
    s.push_back(kDigits[b & 15]);
  }
  return s;
}

}  // namespace elfhash::merkle
