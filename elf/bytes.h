// Endian-aware loads and stores on unaligned byte buffers.
#pragma once

#include <cstdint>
#include <cstring>

#include "elf/types.h"

namespace elfhash::elf {

template <class T>
inline T load(const uint8_t* p, Endian e) {
  T v = 0;
  if (e == Endian::kLittle) {
    for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(static_cast<T>(p[i]) << (8 * i));
  } else {
    for (size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>((v << 8) | p[i]);
  }
  return v;
}

template <class T>
inline void store(uint8_t* p, Endian e, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) {
    size_t shift = 8 * (e == Endian::kLittle ? i : sizeof(T) - 1 - i);
    p[i] = static_cast<uint8_t>(static_cast<uint64_t>(v) >> shift);
  }
}

inline uint32_t load_be32(const uint8_t* p) { return load<uint32_t>(p, Endian::kBig); }
inline void store_be32(uint8_t* p, uint32_t v) { store<uint32_t>(p, Endian::kBig, v); }

}  // namespace elfhash::elf
