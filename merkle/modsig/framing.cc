#include "merkle/modsig/framing.h"

#include <cstring>

#include "elf/bytes.h"

namespace elfhash::merkle {

bool ModuleSignature::params_zero() const {
  return algo == 0 && hash == 0 && signer_len == 0 && key_id_len == 0 && pad[0] == 0 && pad[1] == 0 &&
         pad[2] == 0;
}

std::array<uint8_t, kSigInfoSize> encode_sig_info(const ModuleSignature& s) {
  std::array<uint8_t, kSigInfoSize> b{s.algo, s.hash, s.id_type, s.signer_len, s.key_id_len,
                                      s.pad[0], s.pad[1], s.pad[2]};
  elf::store_be32(b.data() + 8, s.sig_len);
  return b;
}

ModuleSignature decode_sig_info(const uint8_t* p) {
  ModuleSignature s;
  s.algo = p[0];
  s.hash = p[1];
  s.id_type = p[2];
  s.signer_len = p[3];
  s.key_id_len = p[4];
  s.pad = {p[5], p[6], p[7]};
  s.sig_len = elf::load_be32(p + 8);
  return s;
}

bool has_trailer_marker(std::span<const uint8_t> file) {
  return file.size() >= kMarkerSize &&
         std::memcmp(file.data() + file.size() - kMarkerSize, kMarker.data(), kMarkerSize) == 0;
}

Frame frame_trailer(std::span<const uint8_t> file) {
  Frame f;
  f.image_size = file.size();
  if (!(file.size() > kMarkerSize && has_trailer_marker(file))) return f;  // kernel: len > markerlen
  uint64_t len = file.size() - kMarkerSize;
  if (len <= kSigInfoSize) {
    f.status = Framing::kTooShort;
    f.info_offset = len;
    return f;
  }
  f.info_offset = len - kSigInfoSize;
  f.info = decode_sig_info(file.data() + f.info_offset);
  if (f.info.sig_len >= f.info_offset) {
    f.status = Framing::kSigLenTooLarge;
    return f;
  }
  f.status = Framing::kOk;
  f.image_size = f.info_offset - f.info.sig_len;
  return f;
}

}  // namespace elfhash::merkle
