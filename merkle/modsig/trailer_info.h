// A module's trailer decoded for display (elfhash inspect, docs/inspect.md): the framing of spec §3.2
// checked as the kernel checks it (§7.2 step 3), then the payload of either kind decoded: a Merkle
// proof's position and sibling hashes (§3.1), or a PKCS#7 message's signer, key id, hash and signature.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "elf/error.h"
#include "merkle/modsig/pkcs7.h"
#include "merkle/sha256.h"
#include "merkle/modsig/trailer.h"

namespace elfhash::merkle {

struct TrailerInfo {
  Trailer trailer;                // kind (kNone when there is no marker), image size, payload, struct
  uint64_t struct_offset = 0;     // file offset of struct module_signature (kind != kNone)
  // kMerkle: the proof (levels = (sig_len - 4) / 32; the kernel takes levels from vmlinux, §3.4).
  uint32_t pos = 0;
  uint32_t levels = 0;
  std::vector<Hash> siblings;     // bottom-up
  // kPkcs7:
  std::optional<Pkcs7Info> pkcs7;
};

// Errors for everything the kernel would reject or could not use: framing (marker but no room for the
// struct, sig_len too large), non-zero parameter fields (-EBADMSG), an id_type that is neither 2 nor 3,
// a Merkle proof that is not 4 + 32k bytes, a payload that is not a PKCS#7 SignedData message.
Result<TrailerInfo> describe_trailer(std::span<const uint8_t> file, const std::string& name);

}  // namespace elfhash::merkle
