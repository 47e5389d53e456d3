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
#include "merkle/sha256.h"

namespace elfhash::merkle {

inline constexpr std::string_view kMarker = "~Module signature appended~\n";
inline constexpr size_t kMarkerSize = 28;
inline constexpr size_t kSigInfoSize = 12;
static_assert(kMarker.size() == kMarkerSize);

// enum module_signature_type (spec §3.2).
inline constexpr uint8_t kIdTypePkcs7 = 2;
inline constexpr uint8_t kIdTypeMerkle = 3;

// struct module_signature, 12 bytes on disk; sig_len is big-endian there (spec §3.2).
struct ModuleSignature {
  uint8_t algo = 0;
  uint8_t hash = 0;
  uint8_t id_type = 0;
  uint8_t signer_len = 0;
  uint8_t key_id_len = 0;
  std::array<uint8_t, 3> pad = {};
  uint32_t sig_len = 0;

  // True when every field except id_type and sig_len is zero (what mod_check_sig demands, spec §7.2).
  bool params_zero() const;
};

std::array<uint8_t, kSigInfoSize> encode_sig_info(const ModuleSignature& s);
ModuleSignature decode_sig_info(const uint8_t* p);

// Size of a Merkle proof blob (pos + hashes) and of the whole trailer for `levels` levels.
inline constexpr uint64_t proof_size(uint64_t levels) { return 4 + kHashSize * levels; }
inline constexpr uint64_t trailer_size(uint64_t levels) { return proof_size(levels) + kSigInfoSize + kMarkerSize; }

// The `.merkle` file contents for the leaf at `pos` with its sibling path (spec §3.1).
std::vector<uint8_t> build_merkle_trailer(uint32_t pos, std::span<const Hash> siblings);

// True when `file` ends in the signature marker (any trailer kind).
bool has_trailer_marker(std::span<const uint8_t> file);

// The framing of spec §7.2 steps 2-3, in the kernel's order; the one implementation every reader of
// trailers (verify, inspect, sign, strip, diff) goes through.
enum class Framing {
  kNoMarker,        // no marker, or nothing before it (the kernel: -ENODATA)
  kTooShort,        // marker, but at most 12 bytes before it (-EBADMSG)
  kSigLenTooLarge,  // sig_len >= the bytes before the struct, no image byte left (-EBADMSG)
  kOk,
};
struct Frame {
  Framing status = Framing::kNoMarker;
  uint64_t info_offset = 0;  // file offset of struct module_signature (kTooShort: bytes before the marker)
  ModuleSignature info;      // decoded struct (kSigLenTooLarge, kOk)
  uint64_t image_size = 0;   // kOk: bytes before the signature blob; otherwise the whole file
};
Frame frame_trailer(std::span<const uint8_t> file);

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
