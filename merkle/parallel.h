// A minimal work-sharing loop for per-module jobs (hashing, sealing, stripping). Indices are handed
// out dynamically so big modules do not stall a static partition; each result lands in its own slot,
// so the outcome never depends on the thread count or on scheduling.
#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace elfhash::merkle {

// Effective worker count for a request of `threads` (0 = std::thread::hardware_concurrency()).
unsigned effective_threads(unsigned threads, size_t jobs);

// For jobs that need no per-worker state.
struct NoState {};

// Runs job(state, index) for index in [0, jobs) on `threads` workers, each with its own default-built
// State. An exception in a job (std::bad_alloc) must not reach std::terminate from a worker thread:
// the first one stops the remaining jobs and is rethrown here after every worker has joined, so
// main()'s handler reports it as one line (docs/threat-model.md).
template <class State, class Job>
void parallel_for(size_t jobs, unsigned threads, Job job) {
  unsigned n = effective_threads(threads, jobs);
  std::atomic<size_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mu;
  auto worker = [&] {
    try {
      State state;
      for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < jobs;) job(state, i);
    } catch (...) {
      std::lock_guard lock(failure_mu);
      if (!failure) failure = std::current_exception();
      next.store(jobs, std::memory_order_relaxed);
    }
  };
  std::vector<std::thread> pool;
  try {
    for (unsigned t = 1; t < n; ++t) pool.emplace_back(worker);
  } catch (const std::system_error&) {
    // No more threads (EAGAIN): the ones already started and this one do the work.
  }
  worker();
  for (auto& th : pool) th.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace elfhash::merkle
