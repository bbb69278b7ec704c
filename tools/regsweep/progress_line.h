// ProgressLine: on a terminal, redraws "<phase> done/total" on stderr a few
// times a second while a long run goes on; elsewhere (cron, pipes) it
// prints nothing.
#ifndef REGSWEEP_TOOLS_REGSWEEP_PROGRESS_LINE_H_
#define REGSWEEP_TOOLS_REGSWEEP_PROGRESS_LINE_H_

#include <atomic>
#include <thread>

#include "gc/collection/options.h"

namespace regsweep::cli {

class ProgressLine {
 public:
  // Starts drawing when `enabled` and stderr is a terminal.
  ProgressLine(const gc::GcProgress* progress, bool enabled);
  // Stops and clears the line.
  ~ProgressLine();

 private:
  void Draw() const;

  const gc::GcProgress* progress_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace regsweep::cli

#endif  // REGSWEEP_TOOLS_REGSWEEP_PROGRESS_LINE_H_
