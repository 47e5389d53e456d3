// The module Merkle tree of spec §2: leaves in modules.order order, domain-separated SHA-256, the odd
// last node of every level paired with itself, and the per-module sibling path of spec §3.1.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "elf/error.h"
#include "merkle/parallel.h"
#include "merkle/sha256.h"

namespace elfhash::merkle {

// Number of levels for n leaves (spec §2.5): 0 for n = 0 (the tool's empty case), 1 for n = 1, else the
// bit length of n - 1, i.e. ceil(log2 n).
uint32_t levels_for(uint64_t n);

class Tree {
 public:
  // Builds every level from the leaf hashes (leaf i is at position i).
  static Tree build(std::vector<Hash> leaves);

  size_t size() const { return leaves_.size(); }
  uint32_t levels() const { return static_cast<uint32_t>(nodes_.size()); }
  const std::vector<Hash>& leaves() const { return leaves_; }
  // Level i holds ceil(count(i-1) / 2) nodes; level 0 pairs the leaves (spec §2.5).
  const std::vector<Hash>& level(uint32_t i) const { return nodes_[i]; }
  // The single node of the top level; all zero for an empty tree (spec §2.5, n = 0).
  Hash root() const;
  // Sibling hashes for the leaf at `pos`, bottom-up, levels() entries (spec §3.1); empty if pos >= size().
  std::vector<Hash> proof(uint32_t pos) const;

 private:
  std::vector<Hash> leaves_;
  std::vector<std::vector<Hash>> nodes_;
};

// Leaf hashes of in-memory modules, leaf i at position i. `threads` 0 means all cores; the result never
// depends on the thread count.
std::vector<Hash> hash_buffers(const std::vector<std::span<const uint8_t>>& modules, unsigned threads = 0);

// Leaf hashes of module files, hashed in parallel (each file streamed through a per-thread buffer).
// Fails with the first unreadable or empty file in list order (the kernel tool cannot hash a
// zero-length file, spec §2.2).
Result<std::vector<Hash>> hash_files(const std::vector<std::string>& paths, unsigned threads = 0);

}  // namespace elfhash::merkle
