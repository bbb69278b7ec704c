#include "gc/quarantine/quarantine_catalog.h"

#include <utility>

namespace regsweep::gc {
namespace {

void Summarize(const std::vector<storage::QuarantineRecord>& records,
               bool keep_items, QuarantinedRun* run) {
  run->records = records.size();
  for (const storage::QuarantineRecord& record : records) {
    if (run->started_ns == 0 || record.started_ns < run->started_ns) {
      run->started_ns = record.started_ns;
    }
    if (run->command.empty()) run->command = record.command;
    for (const storage::QuarantinedItem& item : record.items) {
      ++run->counts[static_cast<size_t>(item.kind)];
      run->bytes += item.bytes;
      if (keep_items) run->items.push_back(item);
    }
  }
}

}  // namespace

Status ReadQuarantineCatalog(const storage::Quarantine& quarantine,
                             bool keep_items,
                             std::vector<QuarantinedRun>* runs) {
  runs->clear();
  std::vector<std::string> names;
  Status s = quarantine.ListRuns(&names);
  if (!s.ok()) return s;
  for (std::string& name : names) {
    QuarantinedRun run;
    run.run = std::move(name);
    std::vector<storage::QuarantineRecord> records;
    run.readable = quarantine.ReadRecords(run.run, &records);
    if (run.readable.ok()) Summarize(records, keep_items, &run);
    runs->push_back(std::move(run));
  }
  return Status::OK();
}

}  // namespace regsweep::gc
