#include "elf/srec.h"

#include <algorithm>
#include <set>
#include <tuple>

namespace elfhash::elf {
namespace {

constexpr unsigned kMaxChunk = 0xff;  // a record's length byte counts address, data and checksum

// srec_write_record: "S", the type digit, the length, the address (2, 3 or 4 bytes by type), the
// data, then the one's complement of the sum of every byte after the type; upper-case hex; CR LF.
void record(std::vector<uint8_t>& out, unsigned type, uint64_t address, std::span<const uint8_t> data) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  unsigned sum = 0;
  auto put = [&](uint8_t b) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
    sum += b;
  };
  const unsigned addr_bytes = type == 3 || type == 7 ? 4 : type == 2 || type == 8 ? 3 : 2;
  out.push_back('S');
  out.push_back(static_cast<uint8_t>('0' + type));
  put(static_cast<uint8_t>(addr_bytes + data.size() + 1));
  for (unsigned i = addr_bytes; i-- > 0;) put(static_cast<uint8_t>(address >> (8 * i)));
  for (uint8_t b : data) put(b);
  put(static_cast<uint8_t>(255 - (sum & 0xff)));
  out.push_back('\r');
  out.push_back('\n');
}

}  // namespace

std::vector<uint8_t> encode_srec(std::span<const SrecChunk> chunks, std::string_view header, uint64_t start,
                                 SrecOptions opt) {
  // srec_set_section_contents: the record type is the smallest that holds every end address; the
  // list is kept sorted by address, a chunk at or past the last one appended, any other inserted
  // before the first one at or past its address (so before equal ones). The key's second member
  // reproduces that order for equal addresses: appended ones after, inserted ones before.
  unsigned type = 1;
  std::set<std::tuple<uint64_t, int64_t, size_t>> order;
  int64_t seq = 0;
  uint64_t tail = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const SrecChunk& c = chunks[i];
    if (c.bytes.empty()) continue;
    const uint64_t last = c.where + c.bytes.size() - 1;
    if (opt.force_s3)
      type = 3;
    else if (last <= 0xffff)
      ;
    else if (last <= 0xffffff && type <= 2)
      type = 2;
    else
      type = 3;
    ++seq;
    const bool append = order.empty() || c.where >= tail;
    order.emplace(c.where, append ? seq : -seq, i);
    if (append) tail = c.where;
  }
  unsigned len = opt.record_len == 0 ? 1 : std::min(opt.record_len, kMaxChunk - type - 2);
  std::vector<uint8_t> out;
  const std::string_view name = header.substr(0, std::min<size_t>(header.size(), 40));
  record(out, 0, 0, {reinterpret_cast<const uint8_t*>(name.data()), name.size()});
  for (const auto& [where, unused, i] : order) {
    std::span<const uint8_t> b = chunks[i].bytes;
    for (size_t done = 0; done < b.size(); done += len)
      record(out, type, where + done, b.subspan(done, std::min<size_t>(len, b.size() - done)));
  }
  record(out, 10 - type, start, {});
  return out;
}

}  // namespace elfhash::elf
