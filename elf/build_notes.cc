#include "elf/build_notes.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstring>

#include "elf/bytes.h"

namespace elfhash::elf {
namespace {

constexpr uint32_t kOpen = 0x100, kFunc = 0x101;  // NT_GNU_BUILD_ATTRIBUTE_OPEN / _FUNC
constexpr char kVersionAttr = 1;                  // GNU_BUILD_ATTRIBUTE_VERSION

struct Note {
  uint32_t namesz = 0, descsz = 0, type = 0;  // type 0: deleted
  uint64_t padded_namesz = 0;
  const uint8_t* name = nullptr;
  uint64_t start = 0, end = 0;
  bool is_open() const { return type == kOpen; }
  bool is_func() const { return type == kFunc; }
  bool deleted() const { return type == 0; }
  // The attribute a note records: its name from the fourth byte on ("GA$" + attribute).
  int attr_cmp(const Note& o) const {
    const uint32_t n = std::min(namesz, o.namesz) - 3;
    return std::memcmp(name + 3, o.name + 3, n);
  }
};

uint64_t align16(uint64_t v) { return (v + 15) & ~uint64_t{15}; }

// objcopy.c overlaps_or_adjoins, including its quirks (the second test compares a note with itself,
// and "adjoins" means "more than 16-byte alignment apart"): the merge result depends on them.
bool overlaps_or_adjoins(const Note& a, const Note& b) {
  if (a.end < b.start) return align16(a.end) < b.start;
  if (b.end < b.start) return align16(b.end) < a.start;
  return a.end != b.end;
}

// objcopy.c compare_gnu_build_notes: by attribute, then by range, OPEN notes before FUNC ones.
int by_attribute(const Note& a, const Note& b) {
  if (int c = a.attr_cmp(b)) return c;
  if (a.end < b.start) return -1;
  if (a.start > b.end) return 1;
  if (a.start < b.start) return -1;
  if (a.end > b.end) return 1;
  if (a.end < b.end) return -1;
  if (a.is_open() != b.is_open()) return a.is_open() ? -1 : 1;
  return 0;
}

// objcopy.c sort_gnu_build_notes: OPEN notes first, deleted last; by start, longer range first,
// then by attribute byte (a signed char on the hosts binutils runs on).
int by_address(const Note& a, const Note& b) {
  if (a.type != b.type) {
    if (a.deleted()) return 1;
    if (a.is_open()) return -1;
    if (b.deleted()) return -1;
    return 1;
  }
  if (a.start != b.start) return a.start < b.start ? -1 : 1;
  if (a.end != b.end) return a.end > b.end ? -1 : 1;
  if (a.namesz > 4 && b.namesz > 4 && a.name[3] != b.name[3])
    return static_cast<signed char>(a.name[3]) - static_cast<signed char>(b.name[3]);
  return 0;
}

// binutils sorts with qsort, which in glibc 2.36 (Debian 12) is a top-down merge sort: split at n/2,
// sort both halves, merge taking the left element while cmp(left, right) <= 0. The comparators
// above are not consistent orders, so only the same algorithm gives the same order.
template <class Cmp>
void glibc_msort(std::vector<Note>& v, size_t lo, size_t n, std::vector<Note>& tmp, Cmp cmp) {
  if (n <= 1) return;
  const size_t n1 = n / 2, n2 = n - n1;
  glibc_msort(v, lo, n1, tmp, cmp);
  glibc_msort(v, lo + n1, n2, tmp, cmp);
  size_t i = lo, j = lo + n1, k = 0;
  const size_t iend = lo + n1, jend = lo + n;
  while (i < iend && j < jend) tmp[k++] = cmp(v[i], v[j]) <= 0 ? v[i++] : v[j++];
  while (i < iend) tmp[k++] = v[i++];
  std::copy(tmp.begin(), tmp.begin() + static_cast<std::ptrdiff_t>(k), v.begin() + static_cast<std::ptrdiff_t>(lo));
}

template <class Cmp>
void sort_notes(std::vector<Note>& v, Cmp cmp) {
  std::vector<Note> tmp(v.size());
  glibc_msort(v, 0, v.size(), tmp, cmp);
}

struct Parsed {
  std::vector<Note> notes;
  unsigned v1 = 0, v2 = 0, v3 = 0;
};

// Reads the notes and their address ranges (a note without one takes the previous note's of the
// same kind). Returns an error message and the offset of the note at fault, as binutils words it.
std::string parse(std::span<const uint8_t> c, Endian e, Parsed& out, uint64_t& at) {
  uint64_t open_start = 0, open_end = 0, func_start = 0, func_end = 0;
  uint64_t off = 0;
  while (c.size() - off >= 12) {
    at = off;
    Note n;
    n.namesz = load<uint32_t>(c.data() + off, e);
    n.descsz = load<uint32_t>(c.data() + off + 4, e);
    n.type = load<uint32_t>(c.data() + off + 8, e);
    n.padded_namesz = (uint64_t{n.namesz} + 3) & ~uint64_t{3};
    if (n.descsz % 4) return "description size not a factor of 4";
    if (n.type != kOpen && n.type != kFunc) return "wrong note type";
    if (n.padded_namesz + n.descsz + 12 > c.size() - off) return "note too big";
    if (n.namesz < 2) return "name too small";
    // binutils compares the attribute bytes after "GA$" without checking the name holds them.
    if (n.namesz < 4) return "name too short for an attribute (elfhash does not merge such notes)";
    n.name = c.data() + off + 12;
    const uint8_t* desc = n.name + n.padded_namesz;
    off += 12 + n.padded_namesz + n.descsz;
    if (n.name[0] == '$' && n.name[1] == kVersionAttr && n.name[2] == '1') {
      ++out.v1;
    } else if (n.namesz > 4 && n.name[0] == 'G' && n.name[1] == 'A' && n.name[2] == '$' && n.name[3] == kVersionAttr) {
      if (n.name[4] == '2') ++out.v2;
      else if (n.name[4] == '3') ++out.v3;
      else return "unsupported version";
    }
    uint64_t start = 0, end = 0;
    switch (n.descsz) {
      case 0: break;
      case 4: start = load<uint32_t>(desc, e), end = ~uint64_t{0}; break;
      case 8: start = load<uint32_t>(desc, e), end = load<uint32_t>(desc + 4, e); break;
      case 16: start = load<uint64_t>(desc, e), end = load<uint64_t>(desc + 8, e); break;
      default: return "bad description size";
    }
    if (start > end) start = end;  // ppc64le's empty notes: start = end + 4
    uint64_t& ps = n.is_open() ? open_start : func_start;
    uint64_t& pe = n.is_open() ? open_end : func_end;
    if (start) ps = start;
    if (end) pe = end;
    n.start = ps;
    n.end = pe;
    if (n.name[n.namesz - 1] != 0) return "name not NUL terminated";
    out.notes.push_back(n);
  }
  at = off;
  if (off != c.size()) return "excess data at end";
  return "";
}

// The merge rules (objcopy.c merge_gnu_build_notes): an empty range goes; a note equal to, inside
// of, or (same kind) overlapping an earlier note of the same attribute goes, the earlier one growing
// to cover both; at most 17 earlier notes are looked at.
void merge(std::vector<Note>& notes) {
  for (size_t i = 0; i < notes.size(); ++i) {
    Note& n = notes[i];
    if (n.deleted()) continue;
    if (n.start == n.end) {
      n.type = 0;
      continue;
    }
    int iter = 0;
    for (size_t j = i; j-- > 0;) {
      Note& back = notes[j];
      if (back.deleted()) continue;
      if (back.namesz != n.namesz || std::memcmp(back.name, n.name, n.namesz) != 0) break;
      if ((back.start == n.start && back.end == n.end) || (n.start >= back.start && n.end <= back.end)) {
        n.type = 0;
        break;
      }
      if (overlaps_or_adjoins(back, n) && back.is_func() == n.is_func()) {
        back.end = std::max(back.end, n.end);
        back.start = std::min(back.start, n.start);
        n.type = 0;
        break;
      }
      if (iter++ > 16) break;
    }
  }
}

// The notes written again: a note with the previous note's range has no description, others a
// 16-byte (ELF64) or 8-byte one.
std::vector<uint8_t> encode(const std::vector<Note>& notes, Endian e, bool is64) {
  std::vector<uint8_t> out;
  uint64_t prev_start = 0, prev_end = 0;
  auto put32 = [&](uint32_t v) {
    uint8_t b[4];
    store<uint32_t>(b, e, v);
    out.insert(out.end(), b, b + 4);
  };
  auto put64 = [&](uint64_t v) {
    uint8_t b[8];
    store<uint64_t>(b, e, v);
    out.insert(out.end(), b, b + 8);
  };
  for (const Note& n : notes) {
    if (n.deleted()) continue;
    const bool same = n.start == prev_start && n.end == prev_end;
    put32(n.namesz);
    put32(same ? 0 : is64 ? 16 : 8);
    put32(n.type);
    out.insert(out.end(), n.name, n.name + n.namesz);
    out.resize(out.size() + (n.padded_namesz - n.namesz), 0);
    if (same) continue;
    if (is64) {
      put64(n.start);
      put64(n.end);
    } else {
      put32(static_cast<uint32_t>(n.start));
      put32(static_cast<uint32_t>(n.end));
    }
    prev_start = n.start;
    prev_end = n.end;
  }
  return out;
}

}  // namespace

NotesMerge merge_build_notes(std::span<const uint8_t> contents, Endian endian, bool is64) {
  NotesMerge r;
  Parsed p;
  uint64_t at = 0;
  if (std::string err = parse(contents, endian, p, at); !err.empty()) {
    r.error = "corrupt GNU build attribute note: " + err;
    r.error_offset = at;
    return r;
  }
  if (p.v1 + p.v2 + p.v3 == 0) p.v3 = 2;  // binutils: "version note missing - assuming version 3"
  if ((p.v1 && p.v2) || (p.v1 && p.v3) || (p.v2 && p.v3)) {
    r.error = "bad GNU build attribute notes: multiple different versions";
    return r;
  }
  if (!p.v3) return r;  // binutils merges version 3 notes only
  sort_notes(p.notes, by_attribute);
  merge(p.notes);
  sort_notes(p.notes, by_address);
  std::vector<uint8_t> out = encode(p.notes, endian, is64);
  if (out.size() < contents.size()) r.merged = std::move(out);
  return r;
}

}  // namespace elfhash::elf
