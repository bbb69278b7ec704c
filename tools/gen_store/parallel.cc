#include "tools/gen_store/parallel.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace regsweep::gen_store {

Status ParallelFor(
    size_t n, uint32_t threads,
    const std::function<Status(size_t item, uint32_t thread)>& work) {
  threads = std::max(1u, threads);
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  Status first_error;
  auto run = [&](uint32_t t) {
    for (size_t item = next++; item < n && !failed; item = next++) {
      Status s = work(item, t);
      if (s.ok()) continue;
      std::lock_guard<std::mutex> lock(mu);
      if (!failed.exchange(true)) first_error = s;
    }
  };
  std::vector<std::thread> pool;
  for (uint32_t t = 1; t < threads; ++t) pool.emplace_back(run, t);
  run(0);
  for (std::thread& thread : pool) thread.join();
  return first_error;
}

}  // namespace regsweep::gen_store
