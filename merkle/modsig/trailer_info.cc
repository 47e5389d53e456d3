#include "merkle/modsig/trailer_info.h"

#include <fmt/core.h>

#include <cstring>

#include "elf/bytes.h"

namespace elfhash::merkle {

Result<TrailerInfo> describe_trailer(std::span<const uint8_t> file, const std::string& name) {
  TrailerInfo ti;
  EH_ASSIGN(ti.trailer, parse_trailer(file, name));
  const Trailer& t = ti.trailer;
  if (t.kind == TrailerKind::kNone) return ti;
  ti.struct_offset = t.image_size + t.info.sig_len;
  if (t.kind == TrailerKind::kOther)
    return make_error(name, ti.struct_offset + 2,
                      fmt::format("trailer of kind other: id_type {} is neither 2 (PKCS#7) nor 3 (Merkle proof)",
                                  t.info.id_type));
  if (!t.info.params_zero())
    return make_error(name, ti.struct_offset,
                      "struct module_signature has non-zero algo/hash/signer/key/pad fields (the kernel "
                      "rejects it with EBADMSG)");
  if (t.kind == TrailerKind::kMerkle) {
    // The same checks as for a stand-alone .merkle file: the tail from the proof to the marker is one.
    auto levels = check_merkle_trailer(file.subspan(t.image_size), name);
    if (!levels.ok()) {
      Error e = levels.error();
      if (e.offset != kNoOffset) e.offset += t.image_size;  // relative to the tail; make it a file offset
      return e;
    }
    ti.levels = *levels;
    ti.pos = elf::load_be32(t.sig.data());
    ti.siblings.resize(ti.levels);
    for (uint32_t i = 0; i < ti.levels; ++i) std::memcpy(ti.siblings[i].data(), t.sig.data() + 4 + i * kHashSize, kHashSize);
    return ti;
  }
  EH_ASSIGN(ti.pkcs7, parse_pkcs7(t.sig, name, t.image_size));
  return ti;
}

}  // namespace elfhash::merkle
