// A minimal work-sharing loop for per-module jobs (hashing, sealing). Indices are handed out
// dynamically so big modules do not stall a static partition; each result lands in its own slot,
// so the outcome never depends on the thread count or on scheduling.
#pragma once

#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace elfhash::merkle {

// Effective worker count for a request of `threads` (0 = std::thread::hardware_concurrency()).
unsigned effective_threads(unsigned threads, size_t jobs);

// Runs job(state, index) for index in [0, jobs) on `threads` workers, each with its own default-built
// State.
template <class State, class Job>
void parallel_for(size_t jobs, unsigned threads, Job job) {
  unsigned n = effective_threads(threads, jobs);
  std::atomic<size_t> next{0};
  auto worker = [&] {
    State state;
    for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < jobs;) job(state, i);
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < n; ++t) pool.emplace_back(worker);
  worker();
  for (auto& th : pool) th.join();
}

}  // namespace elfhash::merkle
