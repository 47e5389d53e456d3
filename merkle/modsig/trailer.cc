#include "merkle/modsig/trailer.h"

#include <fmt/core.h>

#include <cstring>

#include "elf/bytes.h"

namespace elfhash::merkle {

std::vector<uint8_t> build_merkle_trailer(uint32_t pos, std::span<const Hash> siblings) {
  std::vector<uint8_t> out(trailer_size(siblings.size()));
  uint8_t* p = out.data();
  elf::store_be32(p, pos);
  p += 4;
  for (const Hash& h : siblings) {
    std::memcpy(p, h.data(), h.size());
    p += h.size();
  }
  ModuleSignature info;
  info.id_type = kIdTypeMerkle;
  info.sig_len = static_cast<uint32_t>(proof_size(siblings.size()));
  auto enc = encode_sig_info(info);
  std::memcpy(p, enc.data(), enc.size());
  p += enc.size();
  std::memcpy(p, kMarker.data(), kMarker.size());
  return out;
}

const char* trailer_kind_name(TrailerKind k) {
  switch (k) {
    case TrailerKind::kNone: return "none";
    case TrailerKind::kPkcs7: return "pkcs7";
    case TrailerKind::kMerkle: return "merkle";
    case TrailerKind::kOther: return "other";
  }
  return "?";
}

Result<Trailer> parse_trailer(std::span<const uint8_t> file, const std::string& name) {
  Frame f = frame_trailer(file);
  Trailer t;
  t.image_size = f.image_size;
  switch (f.status) {
    case Framing::kNoMarker:
      // The kernel calls a file that is only the marker unsigned (len > markerlen); for the tools it
      // is a marker with nothing in front of it, which no module can be.
      if (!has_trailer_marker(file)) return t;
      [[fallthrough]];
    case Framing::kTooShort:
      return make_error(name, 0, fmt::format("signature marker but only {} bytes before it, too few for the "
                                             "12-byte struct module_signature", f.info_offset));
    case Framing::kSigLenTooLarge:
      return make_error(name, f.info_offset,
                        fmt::format("sig_len {} does not fit in front of struct module_signature ({} bytes)",
                                    f.info.sig_len, f.info_offset));
    case Framing::kOk: break;
  }
  t.info = f.info;
  t.sig = file.subspan(t.image_size, t.info.sig_len);
  t.kind = t.info.id_type == kIdTypePkcs7    ? TrailerKind::kPkcs7
           : t.info.id_type == kIdTypeMerkle ? TrailerKind::kMerkle
                                             : TrailerKind::kOther;
  return t;
}

Result<uint32_t> check_merkle_trailer(std::span<const uint8_t> trailer, const std::string& name) {
  uint64_t size = trailer.size();
  if (!has_trailer_marker(trailer)) return make_error(name, kNoOffset, "no signature marker at the end");
  if (size < trailer_size(1) || (size - trailer_size(0)) % kHashSize != 0)
    return make_error(name, kNoOffset,
                      fmt::format("size {} is not 44 + 32 * levels with levels >= 1", size));
  uint64_t levels = (size - trailer_size(0)) / kHashSize;
  uint64_t info_off = size - kMarkerSize - kSigInfoSize;
  ModuleSignature info = decode_sig_info(trailer.data() + info_off);
  if (info.id_type != kIdTypeMerkle)
    return make_error(name, info_off + 2, fmt::format("id_type {} is not 3 (Merkle proof)", info.id_type));
  if (!info.params_zero())
    return make_error(name, info_off, "struct module_signature has non-zero algo/hash/signer/key/pad fields");
  if (info.sig_len != proof_size(levels))
    return make_error(name, info_off + 8,
                      fmt::format("sig_len {} but the file holds a {}-byte proof", info.sig_len, proof_size(levels)));
  return static_cast<uint32_t>(levels);
}

}  // namespace elfhash::merkle
