// The framing every module-signature trailer shares (spec §3.2): [signature blob] + the 12-byte
// struct module_signature + the 28-byte marker "~Module signature appended~\n". The one
// implementation of it: the Merkle trailer (merkle/modsig/trailer.h), PKCS#7 (merkle/modsig/pkcs7.h), the kernel's
// check (merkle/modsig/verify.h), inspect, sign, strip and diff (elf/compare.cc) all read trailers through
// frame_trailer(). Depends on nothing but the byte helpers, so elf/ can use it.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

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

}  // namespace elfhash::merkle
