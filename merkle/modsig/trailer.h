// The bytes appended to a module (spec §3): an optional signature blob, the 12-byte
// struct module_signature and the 28-byte marker "~Module signature appended~\n". For a Merkle proof
// the blob is be32 pos followed by the sibling hashes bottom-up (spec §3.1).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "elf/error.h"
#include "merkle/modsig/framing.h"
#include "merkle/sha256.h"

namespace elfhash::merkle {

// Size of a Merkle proof blob (pos + hashes) and of the whole trailer for `levels` levels.
inline constexpr uint64_t proof_size(uint64_t levels) { return 4 + kHashSize * levels; }
inline constexpr uint64_t trailer_size(uint64_t levels) { return proof_size(levels) + kSigInfoSize + kMarkerSize; }

// The `.merkle` file contents for the leaf at `pos` with its sibling path (spec §3.1).
std::vector<uint8_t> build_merkle_trailer(uint32_t pos, std::span<const Hash> siblings);

enum class TrailerKind { kNone, kPkcs7, kMerkle, kOther };
const char* trailer_kind_name(TrailerKind k);

struct Trailer {
  TrailerKind kind = TrailerKind::kNone;
  uint64_t image_size = 0;         // bytes before the signature blob (the whole file for kNone)
  std::span<const uint8_t> sig;    // the signature blob (sig_len bytes); empty for kNone
  ModuleSignature info;            // decoded struct (zero for kNone)
};

// Splits a module into image and trailer. Framing errors (file too short for the struct, sig_len not
// fitting in front of the struct) are errors with the offset of the struct; a missing marker is kNone.
// The framing rules are the kernel's (spec §7.2): the image must keep at least one byte.
Result<Trailer> parse_trailer(std::span<const uint8_t> file, const std::string& name);

// A stand-alone `.merkle` file: checks it is exactly pos + k hashes + struct (id_type 3, zero params,
// sig_len = 4 + 32k) + marker, with k >= 1, and returns k.
Result<uint32_t> check_merkle_trailer(std::span<const uint8_t> trailer, const std::string& name);

}  // namespace elfhash::merkle
