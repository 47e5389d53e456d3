#include "elf/hexfile.h"

#include <fmt/core.h>

#include <algorithm>
#include <set>
#include <tuple>

namespace elfhash::elf {
namespace {

constexpr unsigned kMaxChunk = 0xff;  // a record's length byte counts address, data and checksum

// Upper-case hex, as both backends write it.
void hex(std::vector<uint8_t>& out, uint8_t b) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out.push_back(kHex[b >> 4]);
  out.push_back(kHex[b & 15]);
}

// srec_write_record: "S", the type digit, the length, the address (2, 3 or 4 bytes by type), the
// data, then the one's complement of the sum of every byte after the type; upper-case hex; CR LF.
void record(std::vector<uint8_t>& out, unsigned type, uint64_t address, std::span<const uint8_t> data) {
  unsigned sum = 0;
  auto put = [&](uint8_t b) {
    hex(out, b);
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

// Both backends keep their list sorted by address as objcopy hands them sections: a chunk at or past
// the last one appended goes after it, any other before the first one at or past its address (so
// before equal ones). The key's second member reproduces that for equal addresses.
std::vector<size_t> backend_order(std::span<const SrecChunk> chunks) {
  std::set<std::tuple<uint64_t, int64_t, size_t>> order;
  int64_t seq = 0;
  uint64_t tail = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const SrecChunk& c = chunks[i];
    if (c.bytes.empty()) continue;
    ++seq;
    const bool append = order.empty() || c.where >= tail;
    order.emplace(c.where, append ? seq : -seq, i);
    if (append) tail = c.where;
  }
  std::vector<size_t> idx;
  idx.reserve(order.size());
  for (const auto& [where, unused, i] : order) idx.push_back(i);
  return idx;
}

// ihex_write_record: ':', count, 16-bit address, type, data, two's complement checksum; CR LF.
void ihex_record(std::vector<uint8_t>& out, uint8_t type, uint32_t addr, std::span<const uint8_t> data) {
  unsigned sum = static_cast<unsigned>(data.size()) + addr + (addr >> 8) + type;
  out.push_back(':');
  hex(out, static_cast<uint8_t>(data.size()));
  hex(out, static_cast<uint8_t>(addr >> 8));
  hex(out, static_cast<uint8_t>(addr));
  hex(out, type);
  for (uint8_t b : data) {
    hex(out, b);
    sum += b;
  }
  hex(out, static_cast<uint8_t>(-sum));
  out.push_back('\r');
  out.push_back('\n');
}

}  // namespace

std::vector<uint8_t> encode_srec(std::span<const SrecChunk> chunks, std::string_view header, uint64_t start,
                                 SrecOptions opt) {
  // srec_set_section_contents: the record type is the smallest that holds every end address.
  unsigned type = 1;
  for (const SrecChunk& c : chunks) {
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
  }
  unsigned len = opt.record_len == 0 ? 1 : std::min(opt.record_len, kMaxChunk - type - 2);
  std::vector<uint8_t> out;
  const std::string_view name = header.substr(0, std::min<size_t>(header.size(), 40));
  record(out, 0, 0, {reinterpret_cast<const uint8_t*>(name.data()), name.size()});
  for (size_t i : backend_order(chunks)) {
    const uint64_t where = chunks[i].where;
    std::span<const uint8_t> b = chunks[i].bytes;
    for (size_t done = 0; done < b.size(); done += len)
      record(out, type, where + done, b.subspan(done, std::min<size_t>(len, b.size() - done)));
  }
  record(out, 10 - type, start, {});
  return out;
}

IhexResult encode_ihex(std::span<const SrecChunk> chunks, uint64_t start) {
  IhexResult r;
  std::vector<uint8_t>& out = r.bytes;
  uint64_t segbase = 0, extbase = 0;
  for (size_t i : backend_order(chunks)) {
    uint64_t where = chunks[i].where;
    // 32-bit addresses, also when sign-extended to 64 bits (binutils' test).
    if (where > 0xffffffff && where + 0x80000000 > 0xffffffff) {
      r.error = fmt::format("64-bit address {:#x} out of range for Intel Hex file", where);
      return r;
    }
    where &= 0xffffffff;
    std::span<const uint8_t> p = chunks[i].bytes;
    while (!p.empty()) {
      size_t now = std::min<size_t>(p.size(), 16);
      if (where < extbase || where - extbase < segbase || where - extbase - segbase > 0xffff) {
        if (extbase == 0 && where <= 0xfffff) {
          segbase = where & 0xf0000;
          const uint8_t a[2] = {static_cast<uint8_t>(segbase >> 12), static_cast<uint8_t>(segbase >> 4)};
          ihex_record(out, 2, 0, a);
        } else {
          if (segbase != 0) {  // a segment record would combine with the linear one: zero it first
            const uint8_t z[2] = {0, 0};
            ihex_record(out, 2, 0, z);
            segbase = 0;
          }
          extbase = where & 0xffff0000;
          const uint8_t a[2] = {static_cast<uint8_t>(extbase >> 24), static_cast<uint8_t>(extbase >> 16)};
          ihex_record(out, 4, 0, a);
        }
      }
      const uint64_t rec = where - (extbase + segbase);
      if (rec + now > 0xffff) now = 0x10000 - rec;  // records do not cross 64 KiB
      ihex_record(out, 0, static_cast<uint32_t>(rec), p.first(now));
      where += now;
      p = p.subspan(now);
    }
  }
  if (start != 0) {
    if (start <= 0xfffff) {
      const uint8_t b[4] = {static_cast<uint8_t>((start & 0xf0000) >> 12), 0, static_cast<uint8_t>(start >> 8),
                            static_cast<uint8_t>(start)};
      ihex_record(out, 3, 0, b);
    } else {
      const uint8_t b[4] = {static_cast<uint8_t>(start >> 24), static_cast<uint8_t>(start >> 16),
                            static_cast<uint8_t>(start >> 8), static_cast<uint8_t>(start)};
      ihex_record(out, 5, 0, b);
    }
  }
  ihex_record(out, 1, 0, {});
  return r;
}

// verilog_write_section and verilog_write_record.
IhexResult encode_verilog(std::span<const SrecChunk> chunks, unsigned width, bool little_endian) {
  IhexResult r;
  std::vector<uint8_t>& out = r.bytes;
  auto crlf = [&] {
    out.push_back('\r');
    out.push_back('\n');
  };
  for (size_t i : backend_order(chunks)) {
    const uint64_t where = chunks[i].where;
    if (where % width) {
      r.error = fmt::format("verilog: address {:#x} is not a multiple of the data width {}", where, width);
      return r;
    }
    const uint64_t a = where / width;
    out.push_back('@');
    for (int k = a >= (uint64_t{1} << 32) ? 7 : 3; k >= 0; --k) hex(out, static_cast<uint8_t>(a >> (8 * k)));
    crlf();
    std::span<const uint8_t> all = chunks[i].bytes;
    for (size_t done = 0; done < all.size(); done += 16) {
      std::span<const uint8_t> d = all.subspan(done, std::min<size_t>(16, all.size() - done));
      if (width == 1) {
        for (size_t k = 0; k < d.size(); ++k) {
          hex(out, d[k]);
          if (k + 1 < d.size()) out.push_back(' ');
        }
      } else if (little_endian) {
        size_t k = 0;
        for (; d.size() > width && k < d.size() - width; k += width) {  // every full word but the last
          for (size_t j = width; j-- > 0;) hex(out, d[k + j]);
          out.push_back(' ');
        }
        for (size_t j = d.size(); j-- > k;) hex(out, d[j]);  // the rest, reversed
      } else {
        for (size_t k = 0; k < d.size(); ++k) {
          hex(out, d[k]);
          if ((k + 1) % width == 0) out.push_back(' ');
        }
      }
      crlf();
    }
  }
  return r;
}

}  // namespace elfhash::elf
