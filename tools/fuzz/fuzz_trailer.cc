// libFuzzer target: the module signature trailer parsers (merkle/modsig/trailer.h, merkle/modsig/trailer_info.h,
// spec §3 and §7.2) on arbitrary bytes: parse_trailer on the whole input, check_merkle_trailer on what
// it splits off, and describe_trailer, which also decodes either payload kind (a Merkle proof, or a
// PKCS#7 message through OpenSSL's DER parser).
#include <cstddef>
#include <cstdint>

#include "merkle/modsig/trailer.h"
#include "merkle/modsig/trailer_info.h"

using namespace elfhash;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  auto t = merkle::parse_trailer(in, "fuzz");
  if (t.ok()) {
    if (t->image_size > size) __builtin_trap();
    if (t->kind != merkle::TrailerKind::kNone) (void)merkle::check_merkle_trailer(in.subspan(t->image_size), "fuzz");
  }
  (void)merkle::check_merkle_trailer(in, "fuzz");
  auto d = merkle::describe_trailer(in, "fuzz");
  if (d.ok() && d->trailer.kind == merkle::TrailerKind::kMerkle && d->siblings.size() != d->levels) __builtin_trap();
  // The PKCS#7 parser on its own, so inputs need not carry the framing to reach it.
  (void)merkle::parse_pkcs7(in, "fuzz", 0);
  return 0;
}
