// SHA-256 through OpenSSL's EVP interface (spec §2.1: the hash is fixed to SHA-256). Incremental, so a
// leaf can be hashed as 0x01 || be32(pos) || file without first copying the file behind a prefix.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace elfhash::merkle {

inline constexpr size_t kHashSize = 32;
using Hash = std::array<uint8_t, kHashSize>;

// Domain-separation prefixes (spec §2.4).
inline constexpr uint8_t kLeafPrefix = 0x01;
inline constexpr uint8_t kNodePrefix = 0x02;

// One reusable digest context. Not thread-safe: use one per thread. Aborts on an OpenSSL failure,
// which can only mean memory exhaustion or a broken libcrypto (SHA-256 is always available).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void init();
  void update(std::span<const uint8_t> data);
  void update(const void* data, size_t size);
  Hash final();

  // Starts a leaf: init() and the 0x01 || be32(pos) prefix; the module bytes follow via update().
  void init_leaf(uint32_t pos);
  // L = SHA256(0x01 || be32(pos) || data) (spec §2.4).
  Hash leaf(uint32_t pos, std::span<const uint8_t> data);
  // N = SHA256(0x02 || left || right) (spec §2.4).
  Hash node(const Hash& left, const Hash& right);

 private:
  void* ctx_;  // EVP_MD_CTX*, kept opaque so users need not include OpenSSL headers
};

// Convenience one-shot forms (a context per call; fine outside hot loops).
Hash sha256(std::span<const uint8_t> data);
Hash leaf_hash(uint32_t pos, std::span<const uint8_t> data);
Hash node_hash(const Hash& left, const Hash& right);

std::string to_hex(std::span<const uint8_t> bytes);

}  // namespace elfhash::merkle
