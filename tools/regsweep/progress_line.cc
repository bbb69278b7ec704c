#include "tools/regsweep/progress_line.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

namespace regsweep::cli {

ProgressLine::ProgressLine(const gc::GcProgress* progress, bool enabled)
    : progress_(progress) {
  if (!enabled || isatty(STDERR_FILENO) == 0) return;
  thread_ = std::thread([this] {
    while (!stop_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      if (!stop_) Draw();
    }
  });
}

ProgressLine::~ProgressLine() {
  if (!thread_.joinable()) return;
  stop_ = true;
  thread_.join();
  std::fprintf(stderr, "\r\033[K");
}

void ProgressLine::Draw() const {
  uint64_t total = progress_->total;
  uint64_t done = progress_->done;
  if (total == 0) {  // not known beforehand (a phase that lists as it goes)
    std::fprintf(stderr, "\r\033[K%s: %llu", progress_->phase.load(),
                 static_cast<unsigned long long>(done));
    return;
  }
  std::fprintf(stderr, "\r\033[K%s: %llu/%llu", progress_->phase.load(),
               static_cast<unsigned long long>(done),
               static_cast<unsigned long long>(total));
}

}  // namespace regsweep::cli
