#include "gc/inspection/why.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "gc/inspection/census.h"
#include "gc/inspection/finding.h"
#include "gc/collection/manifest.h"
#include "index/ref_index.h"
#include "storage/registry.h"
#include "util/clock.h"
#include "util/json_writer.h"

namespace regsweep::gc {
namespace {

std::string KindName(uint8_t kind) {
  switch (static_cast<ManifestKind>(kind)) {
    case ManifestKind::kIndex:
      return "index";
    case ManifestKind::kSchema1:
      return "schema1 manifest";
    default:
      return "manifest";
  }
}

// One repository's manifests as the index holds them, to climb from a
// digest to every tag and top manifest above it.
class RepositoryGraph {
 public:
  RepositoryGraph(std::string repository,
                  const index::RepositorySnapshot& snapshot)
      : repository_(std::move(repository)) {
    for (const index::ManifestRecord& m : snapshot.manifests) {
      kind_[m.digest] = m.kind;
      for (const index::EdgeRecord& edge : m.edges) {
        if (!IsReference(edge.role)) continue;  // a referrer's subject
        auto& list = parents_[edge.child];
        bool known = std::any_of(list.begin(), list.end(), [&](const Edge& e) {
          return e.parent == m.digest;
        });
        if (!known) list.push_back(Edge{m.digest, edge.role});
      }
    }
    for (const index::TagRecord& tag : snapshot.tags) {
      tags_[tag.digest].push_back(tag.tag);
    }
    for (auto& [digest, tags] : tags_) std::sort(tags.begin(), tags.end());
  }

  // Appends every chain from a tag or a top revision down to `digest`.
  // `is_revision`: `digest` has a revision link here even if the index
  // holds no manifest for it (its blob is missing). Climbs with an explicit
  // stack, so a chain of any depth costs no call stack, and never through a
  // manifest already on the path, so cycles end.
  void Chains(const Digest& digest, bool is_revision, size_t max_chains,
              std::vector<KeepChain>* out, bool* truncated) const {
    Climb climb{{{digest, ""}}, {digest}, is_revision, max_chains, out,
                truncated};
    std::vector<Frame> frames;
    frames.push_back(Enter(&climb));
    while (!frames.empty()) {
      Frame& frame = frames.back();
      if (frame.next == frame.above.size()) {
        climb.on_path.erase(climb.path.back().first);
        climb.path.pop_back();
        frames.pop_back();
        continue;
      }
      const Edge* e = frame.above[frame.next++];
      climb.path.back().second = std::string(EdgeRoleName(e->role));
      climb.path.emplace_back(e->parent, "");
      climb.on_path.insert(e->parent);
      frames.push_back(Enter(&climb));
    }
  }

 private:
  struct Edge {
    Digest parent;
    uint8_t role;
  };

  // The state of one climb: the path from `digest` up (bottom first, each
  // step with the role by which it is kept by the one above), and the
  // manifests on it.
  struct Climb {
    std::vector<std::pair<Digest, std::string>> path;
    std::unordered_set<Digest> on_path;
    bool bottom_is_revision;
    size_t max_chains;
    std::vector<KeepChain>* out;
    bool* truncated;
  };
  // The edges still to climb from one manifest of the path.
  struct Frame {
    std::vector<const Edge*> above;
    size_t next = 0;
  };

  // Arrives at the top of the path: emits the chains that end there and
  // returns the edges to climb on.
  Frame Enter(Climb* climb) const {
    Frame frame;
    if (climb->out->size() >= climb->max_chains) {
      *climb->truncated = true;
      return frame;
    }
    const Digest& node = climb->path.back().first;
    auto tags = tags_.find(node);
    if (tags != tags_.end()) {
      for (const std::string& tag : tags->second) {
        Emit(climb->path, tag, climb->out);
      }
    }
    auto parents = parents_.find(node);
    if (parents != parents_.end()) {
      for (const Edge& e : parents->second) {
        if (!climb->on_path.contains(e.parent)) frame.above.push_back(&e);
      }
    }
    bool is_revision = kind_.contains(node) ||
                       (climb->path.size() == 1 && climb->bottom_is_revision);
    if (frame.above.empty() && tags == tags_.end() && is_revision) {
      Emit(climb->path, "", climb->out);  // an untagged revision: a root
    }
    return frame;
  }

  void Emit(const std::vector<std::pair<Digest, std::string>>& path,
            const std::string& tag, std::vector<KeepChain>* out) const {
    KeepChain chain;
    chain.repository = repository_;
    chain.tag = tag;
    for (auto it = path.rbegin(); it != path.rend(); ++it) {
      auto kind = kind_.find(it->first);
      std::string what = kind != kind_.end() ? KindName(kind->second)
                         : it->second.empty() ? "manifest"
                                              : it->second;
      chain.steps.push_back(ChainStep{it->first, std::move(what)});
    }
    out->push_back(std::move(chain));
  }

  std::string repository_;
  std::unordered_map<Digest, uint8_t> kind_;  // the manifests it holds
  std::unordered_map<Digest, std::vector<Edge>> parents_;
  std::unordered_map<Digest, std::vector<std::string>> tags_;
};

class Explainer {
 public:
  Explainer(storage::Store* store, const Digest& digest,
            const WhyOptions& options, GcProgress* progress, WhyReport* report)
      : registry_(store),
        digest_(digest),
        options_(options),
        progress_(progress),
        report_(report) {}

  Status Run();

 private:
  Status PrepareIndex();
  void DescribeBlob();
  Status FindChains();
  void NoteKeptWithoutChain();

  storage::Registry registry_;
  const Digest& digest_;
  const WhyOptions& options_;
  GcProgress* progress_;
  WhyReport* report_;
  std::unique_ptr<index::RefIndex> index_;
  bool marked_by_mark_ = false;  // a fresh mark reached the digest
};

Status Explainer::Run() {
  Status s = registry_.CheckLayout();
  if (s.ok()) s = PrepareIndex();
  if (!s.ok()) return s;
  DescribeBlob();
  s = FindChains();
  if (s.ok()) NoteKeptWithoutChain();
  return s;
}

Status Explainer::PrepareIndex() {
  Status s = OpenIndex(options_.index_dir, &index_);
  if (!s.ok()) return s;
  std::string state;
  if (!options_.index_dir.empty() && !options_.refresh &&
      index_->GetMeta("pass_state", &state).ok() && state == "complete") {
    report_->source = "index";
    return Status::OK();
  }
  report_->source = "mark";
  MarkResult mark;
  s = MarkIntoIndex(registry_, index_.get(), progress_, &mark);
  for (const Status& fatal : mark.fatal) {
    report_->warnings.push_back(
        fatal.message() + ": could not be read; chains through it are "
                          "unknown, and gc would delete nothing");
  }
  marked_by_mark_ = mark.marked.Contains(digest_);
  return s;
}

// The index holds each repository's revisions; a blob the mark reached
// only through manifests without a revision of their own (an index's
// child read from its blob, a digest a fallback parse found) has no chain
// there, but gc keeps it all the same, and `why` must not say otherwise.
void Explainer::NoteKeptWithoutChain() {
  if (!marked_by_mark_ || !report_->chains.empty()) return;
  report_->warnings.push_back(
      "gc keeps it: the mark reaches it through manifests that have no "
      "revision link of their own (an index's child, or a digest found in a "
      "manifest that did not parse), which no chain here can show");
}

void Explainer::DescribeBlob() {
  storage::BlobInfo info;
  if (!registry_.StatBlob(digest_, &info).ok()) return;
  report_->exists = info.has_data;
  report_->dir_only = !info.has_data;
  report_->bytes = info.size;
  report_->mtime_ns = info.mtime_ns;
}

Status Explainer::FindChains() {
  std::vector<std::string> names;
  std::vector<storage::StoreProblem> ignored;
  Status s = registry_.ListRepositories(&names, &ignored);
  if (!s.ok()) return s;
  std::vector<index::ReferrerRecord> referrers;
  s = index_->Referrers(digest_, &referrers);
  if (!s.ok()) return s;
  std::set<std::string> candidates;
  for (const index::ReferrerRecord& r : referrers) {
    candidates.insert(r.repository);
  }
  std::set<std::string> revision_of;  // repositories with a revision link
  for (const std::string& name : names) {
    storage::LinkInfo link = registry_.ReadRevisionLink(name, digest_);
    if (link.status.IsNotFound()) continue;
    revision_of.insert(name);
    candidates.insert(name);
  }
  for (const std::string& name : candidates) {
    if (!std::binary_search(names.begin(), names.end(), name)) continue;
    index::RepositorySnapshot snapshot;
    s = index_->GetRepository(name, &snapshot);
    if (s.IsNotFound()) {
      snapshot = index::RepositorySnapshot();
    } else if (!s.ok()) {
      return s;
    }
    RepositoryGraph(name, snapshot)
        .Chains(digest_, revision_of.contains(name), options_.max_chains,
                &report_->chains, &report_->truncated);
  }
  std::sort(report_->chains.begin(), report_->chains.end(),
            [](const KeepChain& a, const KeepChain& b) {
              // Per repository, tagged chains first; then by the path.
              return std::make_tuple(a.repository, a.tag.empty(), a.tag,
                                     FormatChain(a)) <
                     std::make_tuple(b.repository, b.tag.empty(), b.tag,
                                     FormatChain(b));
            });
  return Status::OK();
}

}  // namespace

Status ExplainDigest(storage::Store* store, const Digest& digest,
                     const WhyOptions& options, GcProgress* progress,
                     WhyReport* report) {
  report->digest = digest;
  report->now_ns = options.now_ns != 0 ? options.now_ns : NowNs();
  report->grace_ns = options.grace_ns;
  Status result;
  RunWithJobs(options.jobs, [&] {
    result = Explainer(store, digest, options, progress, report).Run();
  });
  return result;
}

std::string FormatChain(const KeepChain& chain) {
  std::string text = chain.repository;
  text += chain.tag.empty() ? " (untagged)" : ":" + chain.tag;
  for (const ChainStep& step : chain.steps) {
    text += " -> " + step.what + " " + step.digest.str();
  }
  return text;
}

std::string WhyToJson(const WhyReport& report) {
  JsonWriter w;
  w.BeginObject();
  w.Field("digest", report.digest.str());
  w.Key("exists");
  w.Bool(report.exists);
  if (report.exists) {
    w.FieldUint("bytes", report.bytes);
    w.Field("time", FormatTime(report.mtime_ns));
  }
  w.Key("kept");
  w.Bool(report.kept());
  w.Key("would_be_deleted");
  w.Bool(report.would_be_deleted());
  w.Key("chains");
  w.BeginArray();
  for (const KeepChain& chain : report.chains) {
    w.BeginObject();
    w.Field("repository", chain.repository);
    w.Key("tag");
    if (chain.tag.empty()) {
      w.Null();
    } else {
      w.String(chain.tag);
    }
    w.Key("steps");
    w.BeginArray();
    for (const ChainStep& step : chain.steps) {
      w.BeginObject();
      w.Field("digest", step.digest.str());
      w.Field("what", step.what);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("truncated");
  w.Bool(report.truncated);
  w.Field("source", report.source);
  w.Key("warnings");
  w.BeginArray();
  for (const std::string& warning : report.warnings) w.String(warning);
  w.EndArray();
  w.EndObject();
  return w.str();
}

}  // namespace regsweep::gc
