// `regsweep why STORE DIGEST`: every chain of references that keeps a blob,
// or that nothing does and gc would delete it.
#include <boost/program_options.hpp>

#include <cstdio>

#include "gc/inspection/finding.h"
#include "gc/inspection/why.h"
#include "storage/store.h"
#include "tools/regsweep/cli_common.h"
#include "tools/regsweep/store_location.h"
#include "tools/regsweep/commands.h"
#include "tools/regsweep/output.h"
#include "tools/regsweep/log.h"

namespace po = boost::program_options;

namespace regsweep::cli {
namespace {

constexpr char kSynopsis[] =
    "regsweep why STORE DIGEST [--index DIR] [--json FILE]\n\n"
    "Prints every chain that keeps DIGEST (repository:tag -> index ->\n"
    "manifest -> blob), or says that nothing does and gc would delete it.\n"
    "With --index DIR holding a complete pass (gc/audit/du --index DIR), it\n"
    "answers from that index without marking again (--refresh: mark again).\n"
    "Exit code 0: kept; 1: not kept (or not in the store); 2: bad usage.\n";

struct WhyFlags {
  std::string store;
  std::string digest;
  std::string json_path;
  std::string grace = "1h";
  gc::WhyOptions options;
};

bool ParseWhyArgs(const std::vector<std::string>& args, WhyFlags* flags,
                  int* exit_code) {
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")(
      "store", po::value(&flags->store), "the storage root directory, or s3://BUCKET/ROOT")(
      "digest", po::value(&flags->digest), "the blob or manifest digest")(
      "index", po::value(&flags->options.index_dir),
      "answer from (or mark into) the reference index in this directory")(
      "refresh", po::bool_switch(&flags->options.refresh),
      "mark again even when the index holds a complete pass")(
      "json", po::value(&flags->json_path),
      "write the answer as JSON to this file (- for stdout)")(
      "grace", po::value(&flags->grace)->default_value("1h"),
      "gc's grace period, to tell whether gc would delete it now")(
      "jobs,j", po::value(&flags->options.jobs)->default_value(0),
      "threads (0: max(16, 2 per core))");
  AddS3Options(&desc);
  po::positional_options_description positional;
  positional.add("store", 1).add("digest", 1);
  po::variables_map vm;
  if (!ParseCommandLine(args, desc, desc, positional, kSynopsis, &vm,
                        exit_code)) {
    return false;
  }
  Digest digest;
  std::string problem;
  if (flags->store.empty() || flags->digest.empty()) {
    problem = "STORE and DIGEST are required";
  } else if (!Digest::Parse(flags->digest, &digest)) {
    problem = "'" + flags->digest + "' is not a digest (sha256:<64 hex>)";
  } else {
    problem = GraceAndJobsProblem(flags->grace, flags->options.jobs,
                                  &flags->options.grace_ns);
  }
  return NoUsageProblem(problem, kSynopsis, desc, exit_code);
}

void PrintAnswer(const gc::WhyReport& r) {
  std::string what = r.digest.str();
  if (r.exists) {
    what += " (" + HumanBytes(r.bytes) + ")";
  } else if (r.dir_only) {
    what += " (a blob directory without data)";
  }
  for (const std::string& warning : r.warnings) {
    Log(LogLevel::kWarning, warning);
  }
  if (r.kept()) {
    std::printf("%s is kept by %zu chain%s%s:\n", what.c_str(),
                r.chains.size(), r.chains.size() == 1 ? "" : "s",
                r.truncated ? " (and more, not listed)" : "");
    for (const gc::KeepChain& chain : r.chains) {
      std::printf("  %s\n", gc::FormatChain(chain).c_str());
    }
    if (!r.exists) {
      std::printf("The blob does NOT exist: these images cannot be pulled "
                  "(see `regsweep audit`).\n");
    }
    return;
  }
  if (!r.exists && !r.dir_only) {
    std::printf("%s is not in this store, and no manifest references it.\n",
                what.c_str());
    return;
  }
  std::printf("%s is not referenced by any manifest.\n", what.c_str());
  int64_t age = r.now_ns - r.mtime_ns;
  std::printf("Unreferenced for at most %s: its data was written at %s, "
              "and regsweep keeps no history of the manifests that referenced "
              "it.\n",
              gc::FormatAge(age).c_str(), gc::FormatTime(r.mtime_ns).c_str());
  if (r.would_be_deleted()) {
    std::printf("`regsweep gc` would delete it.\n");
  } else if (r.warnings.empty()) {
    std::printf("`regsweep gc` would delete it after %s, when the grace "
                "period (%s) is over.\n",
                gc::FormatTime(r.mtime_ns + r.grace_ns).c_str(),
                gc::FormatAge(r.grace_ns).c_str());
  } else {
    std::printf("`regsweep gc` would delete nothing now (see the "
                "warnings).\n");
  }
}

}  // namespace

int WhyCommand(const std::vector<std::string>& args) {
  WhyFlags flags;
  int exit_code = kExitOk;
  if (!ParseWhyArgs(args, &flags, &exit_code)) return exit_code;
  Digest digest;
  Digest::Parse(flags.digest, &digest);
  gc::WhyReport report;
  auto pass = [&](storage::Store* store, gc::GcProgress* progress) {
    return gc::ExplainDigest(store, digest, flags.options, progress, &report);
  };
  Status writable = CheckReportWritable(flags.json_path);
  if (!writable.ok()) return FailToStart(writable);
  if (!RunOnStore(flags.store, true, pass)) return kExitUsage;
  Status written;
  if (!flags.json_path.empty()) {
    written = WriteText(flags.json_path, gc::WhyToJson(report) + "\n");
    if (!written.ok()) Log(LogLevel::kError, written.message());
  }
  if (flags.json_path != "-") PrintAnswer(report);
  return report.kept() && written.ok() ? kExitOk : kExitProblems;
}

}  // namespace regsweep::cli
