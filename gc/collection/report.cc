#include "gc/collection/report.h"


#include "util/json_writer.h"
#include "util/rfc3339.h"

namespace regsweep::gc {
namespace {

// RFC 3339 in UTC, to the second: "2026-12-04T20:54:41Z"; null for 0.
void WriteTime(JsonWriter* w, std::string_view key, int64_t ns) {
  w->Key(key);
  if (ns == 0) {
    w->Null();
    return;
  }
  w->String(FormatRfc3339(ns));
}

void WriteStrings(JsonWriter* w, const std::vector<std::string>& values) {
  w->BeginArray();
  for (const std::string& v : values) w->String(v);
  w->EndArray();
}

void WriteProblems(JsonWriter* w, const std::vector<Problem>& problems) {
  w->BeginArray();
  for (const Problem& p : problems) {
    w->BeginObject();
    w->Field("kind", ProblemKindName(p.kind));
    w->Field("path", p.path);
    w->Field("repository", p.repository);
    w->Field("digest", p.digest);
    w->Field("detail", p.detail);
    w->EndObject();
  }
  w->EndArray();
}

// Hands the text written so far to the sink every kPieceItems items.
constexpr size_t kPieceItems = 4096;

using Sink = std::function<void(std::string_view)>;

void DrainEvery(JsonWriter* w, size_t item, const Sink& sink) {
  if (item % kPieceItems == kPieceItems - 1) sink(w->Drain());
}

void WriteEligible(JsonWriter* w, const GcReport& r, const Sink& sink) {
  w->Key("blobs_eligible");
  w->BeginArray();
  const auto& blobs = r.sweep.blobs_eligible;
  for (size_t i = 0; i < blobs.size(); ++i) {
    w->String(blobs[i].digest.str());
    DrainEvery(w, i, sink);
  }
  w->EndArray();
  w->Key("manifests_eligible");
  w->BeginArray();
  for (size_t i = 0; i < r.manifests_eligible.size(); ++i) {
    const ManifestEligible& m = r.manifests_eligible[i];
    w->BeginObject();
    w->Field("repository", m.repository);
    w->Field("digest", m.digest.str());
    w->EndObject();
    DrainEvery(w, i, sink);
  }
  w->EndArray();
}

void WriteQuarantine(JsonWriter* w, const QuarantineReport& q) {
  w->Key("quarantine");
  w->BeginObject();
  w->Key("run");
  if (q.run.empty()) {
    w->Null();
  } else {
    w->String(q.run);
  }
  w->Key("rescued_blobs");
  w->BeginArray();
  for (const auto& [digest, run] : q.rescued.blobs) {
    w->BeginObject();
    w->Field("digest", digest.str());
    w->Field("run", run);
    w->EndObject();
  }
  w->EndArray();
  w->FieldUint("rescued_links", q.rescued.Restored() - q.rescued.blobs.size());
  w->Key("purged_runs");
  WriteStrings(w, q.purged.purged);
  w->FieldUint("purged_bytes", q.purged.bytes);
  w->Key("kept_runs");
  WriteStrings(w, q.purged.kept);
  w->FieldUint("runs_held", q.runs_held);
  w->FieldUint("bytes_held", q.bytes_held);
  w->EndObject();
}

}  // namespace

std::string ReportToJson(const GcReport& r) {
  std::string text;
  WriteReportJson(r, [&text](std::string_view piece) { text.append(piece); });
  return text;
}

void WriteReportJson(const GcReport& r, const Sink& sink) {
  JsonWriter w;
  w.BeginObject();
  w.Field("version", r.version);
  w.Field("store", r.store);
  w.Field("mode", r.options.delete_untagged ? "delete-untagged" : "default");
  w.Key("dry_run");
  w.Bool(r.options.dry_run);
  w.Key("grace_seconds");
  if (r.options.grace_ns % 1000000000 == 0) {
    w.Int(r.options.grace_ns / 1000000000);
  } else {
    w.Double(static_cast<double>(r.options.grace_ns) / 1e9);
  }
  WriteTime(&w, "started_at", r.started_at_ns);
  WriteTime(&w, "finished_at", r.finished_at_ns);
  w.Field("pass", PassKindName(r.pass));
  w.FieldUint("repositories", r.repositories);
  w.FieldUint("repositories_reread", r.repositories_reread);
  w.FieldUint("blob_prefixes_reused", r.sweep.prefixes_reused);
  w.FieldUint("blob_prefixes_extended", r.sweep.prefixes_extended);
  w.FieldUint("manifests_read", r.manifests_read);
  w.FieldUint("manifests_recalled", r.manifests_recalled);
  w.FieldUint("blobs_marked", r.blobs_marked);
  WriteEligible(&w, r, sink);
  w.FieldUint("bytes_eligible", r.sweep.bytes_eligible);
  w.FieldUint("blobs_kept_by_grace", r.sweep.blobs_kept_by_grace);
  w.FieldUint("blobs_kept_odd", r.sweep.blobs_kept_odd);
  w.FieldUint("blobs_deleted", r.sweep.blobs_deleted);
  w.FieldUint("bytes_deleted", r.sweep.bytes_deleted);
  w.FieldUint("manifests_deleted", r.sweep.manifests_deleted);
  w.FieldUint("layer_links_deleted", r.sweep.layer_links_deleted);
  w.Key("problems");
  WriteProblems(&w, r.problems);
  w.Key("fatal");
  if (r.fatal.empty()) {
    w.Null();
  } else {
    w.String(r.fatal.front());
  }
  w.Key("fatal_errors");
  WriteStrings(&w, r.fatal);
  w.Key("denied");  // the sweep could not delete as this user: nothing tried
  if (r.sweep.denied.ok()) {
    w.Null();
  } else {
    w.String(r.sweep.denied.message());
  }
  w.Key("warnings");
  WriteStrings(&w, r.warnings);
  w.Key("errors");
  w.BeginArray();
  for (const Status& e : r.sweep.errors) w.String(e.ToString());
  w.EndArray();
  w.Key("phases");
  w.BeginObject();
  for (const auto& [name, seconds] : r.phases) {
    w.Key(name);
    w.Double(seconds);
  }
  w.EndObject();
  WriteQuarantine(&w, r.quarantine);
  if (!r.store_requests.empty()) {
    w.Key("store_requests");
    w.BeginObject();
    for (const auto& [kind, count] : r.store_requests) w.FieldUint(kind, count);
    w.EndObject();
  }
  w.EndObject();
  sink(w.Drain() + "\n");
}

}  // namespace regsweep::gc
