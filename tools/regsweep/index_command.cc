// `regsweep index stats|referrers --index DIR`: query a reference index
// that an earlier `gc --index DIR` wrote.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <system_error>

#include "index/ref_index.h"
#include "tools/regsweep/commands.h"
#include "util/rfc3339.h"
#include "tools/regsweep/log.h"
#include "util/json_writer.h"

namespace regsweep::cli {
namespace {

constexpr char kUsage[] =
    "usage: regsweep index stats --index DIR [--json]\n"
    "       regsweep index referrers --index DIR DIGEST [--json]\n"
    "\n"
    "Queries the reference index a `regsweep gc --index DIR` pass wrote.\n"
    "  stats      what the index holds\n"
    "  referrers  every manifest (repository, parent) that references DIGEST\n";

struct IndexArgs {
  std::string verb;
  std::string dir;
  std::string digest;
  bool json = false;
};

bool ParseIndexArgs(const std::vector<std::string>& args, IndexArgs* out) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--index" && i + 1 < args.size()) {
      out->dir = args[++i];
    } else if (a.rfind("--index=", 0) == 0) {
      out->dir = a.substr(8);
    } else if (a == "--json") {
      out->json = true;
    } else if (out->verb.empty()) {
      out->verb = a;
    } else if (out->digest.empty()) {
      out->digest = a;
    } else {
      return false;
    }
  }
  if (out->dir.empty()) return false;
  if (out->verb == "stats") return out->digest.empty();
  return out->verb == "referrers" && !out->digest.empty();
}

int Stats(index::RefIndex* idx, bool json) {
  index::IndexStats stats;
  Status s = idx->Stats(&stats);
  std::string pass_state, last_pass, last_time;
  if (s.ok() && !idx->GetMeta("pass_state", &pass_state).ok()) {
    pass_state = "none";
  }
  if (!idx->GetMeta("last_pass", &last_pass).ok()) last_pass = "none";
  // How many blobs the store held at the last pass (its sweep listed them).
  std::string blobs_text;
  uint64_t blobs = 0;
  if (idx->GetMeta("last_pass_blobs", &blobs_text).ok()) {
    blobs = std::strtoull(blobs_text.c_str(), nullptr, 10);
  }
  if (idx->GetMeta("last_pass_time", &last_time).ok() && !last_time.empty()) {
    last_time = FormatRfc3339(std::stoll(last_time));
  } else {
    last_time = "never";
  }
  if (!s.ok()) {
    Log(LogLevel::kError, s.ToString());
    return kExitProblems;
  }
  if (json) {
    JsonWriter w;
    w.BeginObject();
    w.FieldUint("repositories", stats.repositories);
    w.FieldUint("manifests", stats.manifests);
    w.FieldUint("edges", stats.edges);
    w.FieldUint("tags", stats.tags);
    w.FieldUint("blobs", blobs);
    w.Field("pass_state", pass_state);
    w.Field("last_pass", last_pass);
    w.Field("last_pass_time", last_time);
    w.EndObject();
    std::puts(w.str().c_str());
    return kExitOk;
  }
  std::printf("repositories  %llu\nmanifests     %llu\nedges         %llu\n"
              "tags          %llu\nblobs         %llu (in the store at the last "
              "pass)\nstate         %s\nlast pass     %s at %s\n",
              static_cast<unsigned long long>(stats.repositories),
              static_cast<unsigned long long>(stats.manifests),
              static_cast<unsigned long long>(stats.edges),
              static_cast<unsigned long long>(stats.tags),
              static_cast<unsigned long long>(blobs), pass_state.c_str(),
              last_pass.c_str(), last_time.c_str());
  return kExitOk;
}

int Referrers(index::RefIndex* idx, const std::string& text, bool json) {
  Digest digest;
  if (!Digest::Parse(text, &digest)) {
    Log(LogLevel::kError, "'" + text + "' is not a digest (sha256:<64 hex>)");
    return kExitUsage;
  }
  std::vector<index::ReferrerRecord> referrers;
  Status s = idx->Referrers(digest, &referrers);
  if (!s.ok()) {
    Log(LogLevel::kError, s.ToString());
    return kExitProblems;
  }
  JsonWriter w;
  w.BeginArray();
  for (const index::ReferrerRecord& r : referrers) {
    if (json) {
      w.BeginObject();
      w.Field("repository", r.repository);
      w.Field("parent", r.parent.str());
      w.FieldUint("role", r.role);
      w.EndObject();
    } else {
      std::printf("%s@%s\n", r.repository.c_str(), r.parent.str().c_str());
    }
  }
  w.EndArray();
  if (json) std::puts(w.str().c_str());
  return kExitOk;
}

}  // namespace

int IndexCommand(const std::vector<std::string>& args) {
  IndexArgs parsed;
  // --help anywhere (`index --help`, `index stats --help`): usage on
  // stdout, exit 0, as the other commands do.
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    }
  }
  if (!ParseIndexArgs(args, &parsed)) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  // Only query an index that exists: opening a directory with no RocksDB
  // CURRENT file would create an empty index there (a typo in --index must
  // not leave a database behind, nor answer "0 manifests").
  std::error_code error;
  if (!std::filesystem::is_regular_file(
          std::filesystem::path(parsed.dir) / "CURRENT", error)) {
    Log(LogLevel::kError, parsed.dir +
                              " holds no reference index (no RocksDB CURRENT "
                              "file); give the --index DIR of an earlier gc, "
                              "audit or du pass");
    return kExitUsage;
  }
  std::unique_ptr<index::RefIndex> idx;
  Status s = index::RefIndex::Open(parsed.dir, &idx);
  if (!s.ok()) {
    Log(LogLevel::kError, s.ToString());
    return kExitUsage;
  }
  if (parsed.verb == "stats") return Stats(idx.get(), parsed.json);
  return Referrers(idx.get(), parsed.digest, parsed.json);
}

}  // namespace regsweep::cli
