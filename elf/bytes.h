// Endian-aware loads and stores on unaligned byte buffers.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

#include "elf/types.h"

namespace elfhash::elf {

namespace detail {
template <class T>
inline T byteswap(T v) {
  if constexpr (sizeof(T) == 1) return v;
  else if constexpr (sizeof(T) == 2) return static_cast<T>(__builtin_bswap16(static_cast<uint16_t>(v)));
  else if constexpr (sizeof(T) == 4) return static_cast<T>(__builtin_bswap32(static_cast<uint32_t>(v)));
  else return static_cast<T>(__builtin_bswap64(static_cast<uint64_t>(v)));
}
// True when values of byte order `e` must be swapped on this host.
inline bool foreign(Endian e) {
  return (e == Endian::kLittle) != (std::endian::native == std::endian::little);
}
}  // namespace detail

// memcpy + an optional byte swap compiles to one load/store (plus bswap) where the byte loop it
// replaces did not: these run for every symbol, section header and relocation entry.
template <class T>
inline T load(const uint8_t* p, Endian e) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return detail::foreign(e) ? detail::byteswap(v) : v;
}

template <class T>
inline void store(uint8_t* p, Endian e, T v) {
  if (detail::foreign(e)) v = detail::byteswap(v);
  std::memcpy(p, &v, sizeof(T));
}

inline uint32_t load_be32(const uint8_t* p) { return load<uint32_t>(p, Endian::kBig); }
inline void store_be32(uint8_t* p, uint32_t v) { store<uint32_t>(p, Endian::kBig, v); }

}  // namespace elfhash::elf
