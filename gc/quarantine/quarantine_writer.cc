#include "gc/quarantine/quarantine_writer.h"

#include <cstdio>
#include <ctime>
#include <random>

namespace regsweep::gc {

QuarantineWriter::QuarantineWriter(const storage::Quarantine* quarantine,
                                   std::string run, int64_t started_ns,
                                   std::string command)
    : quarantine_(quarantine),
      run_(std::move(run)),
      started_ns_(started_ns),
      command_(std::move(command)) {}

std::string QuarantineWriter::NewRunName(int64_t now_ns) {
  const time_t seconds = static_cast<time_t>(now_ns / 1000000000);
  struct tm utc;
  gmtime_r(&seconds, &utc);
  char when[32];
  std::strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &utc);
  std::random_device random;
  char suffix[16];
  std::snprintf(suffix, sizeof(suffix), "%08x",
                static_cast<unsigned>(random()));
  return std::string(when) + "-" + suffix;
}

Status QuarantineWriter::Record(std::string reason,
                                std::vector<storage::QuarantinedItem> items) {
  if (items.empty()) return Status::OK();
  storage::QuarantineRecord record;
  record.run = run_;
  record.started_ns = started_ns_;
  record.command = command_;
  record.reason = std::move(reason);
  record.items = std::move(items);
  return quarantine_->WriteRecord(next_sequence_++, record);
}

}  // namespace regsweep::gc
