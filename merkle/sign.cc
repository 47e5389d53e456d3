#include "merkle/sign.h"

#include <fmt/core.h>

#include "elf/atomic_file.h"
#include "elf/cleanup.h"
#include "elf/mapped_file.h"
#include "merkle/trailer.h"

namespace elfhash::merkle {

Status append_trailer(const std::string& module, bool replace, const TrailerMaker& make) {
  // A private copy: the trailer is made for exactly the bytes written, whatever happens to the file.
  EH_ASSIGN(auto in, MappedFile::read(module));
  auto bytes = in->bytes();
  uint64_t image = bytes.size();
  if (has_trailer_marker(bytes)) {
    if (!replace)
      return make_error(module, bytes.size() - kMarkerSize,
                        "already has a signature trailer (use --replace to swap it)");
    EH_ASSIGN(Trailer t, parse_trailer(bytes, module));
    image = t.image_size;
  }
  if (image == 0) return make_error(module, kNoOffset, "empty module image");
  EH_ASSIGN(std::vector<uint8_t> trailer, make(bytes.first(image)));
  stop_point("hashed");
  EH_ASSIGN(AtomicFile out, AtomicFile::create(module, in->mode()));
  EH_TRY(out.write_at(0, bytes.first(image)));
  EH_TRY(out.write_at(image, trailer));
  EH_TRY(in->check_unchanged());  // replacing a file rewritten meanwhile would lose that write
  return out.commit();
}

Status sign_module(const std::string& module, std::span<const uint8_t> trailer, const std::string& trailer_name,
                   bool replace) {
  EH_TRY(check_merkle_trailer(trailer, trailer_name));
  return append_trailer(module, replace, [&](std::span<const uint8_t>) -> Result<std::vector<uint8_t>> {
    return std::vector<uint8_t>(trailer.begin(), trailer.end());
  });
}

}  // namespace elfhash::merkle
