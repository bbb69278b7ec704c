#include "tools/regsweep/cli_common.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

#include "storage/layout.h"
#include "tools/regsweep/commands.h"
#include "tools/regsweep/registry_config.h"
#include "tools/regsweep/store_location.h"
#include "tools/regsweep/log.h"
#include "util/duration.h"

namespace po = boost::program_options;

namespace regsweep::cli {

int PrintUsageError(const std::string& message, const std::string& synopsis,
                    const po::options_description* desc) {
  std::fprintf(stderr, "regsweep: %s\n\nusage: %s", message.c_str(),
               synopsis.c_str());
  if (desc != nullptr) std::cerr << *desc;
  return kExitUsage;
}

bool ParseCommandLine(const std::vector<std::string>& args,
                      const po::options_description& options,
                      const po::options_description& shown,
                      const po::positional_options_description& positional,
                      const std::string& synopsis, po::variables_map* vm,
                      int* exit_code) {
  try {
    po::store(po::command_line_parser(args)
                  .options(options)
                  .positional(positional)
                  .run(),
              *vm);
    po::notify(*vm);
  } catch (const po::error& e) {
    *exit_code = PrintUsageError(e.what(), synopsis, &shown);
    return false;
  }
  if (vm->count("help")) {
    std::printf("usage: %s", synopsis.c_str());
    std::cout << shown;
    *exit_code = kExitOk;
    return false;
  }
  return true;
}

bool NoUsageProblem(const std::string& problem, const std::string& synopsis,
                    const po::options_description& desc, int* exit_code) {
  if (problem.empty()) return true;
  *exit_code = PrintUsageError(problem, synopsis, &desc);
  return false;
}

int FailToStart(const Status& status) {
  Log(LogLevel::kError, status.message());
  return kExitUsage;
}

namespace {

// What an operator who gave `root` probably meant, or "".
std::string StoreHint(const std::string& root) {
  if (IsS3Location(root)) return "";
  std::string clean = root;
  while (clean.size() > 1 && clean.back() == '/') clean.pop_back();
  for (std::string_view inner : {"/docker/registry/v2", "/docker/registry",
                                 "/docker"}) {
    if (clean.ends_with(inner)) {
      std::string parent = clean.substr(0, clean.size() - inner.size());
      return " (give the storage root, the directory that contains docker/: " +
             (parent.empty() ? std::string("/") : parent) + ")";
    }
  }
  // host:5000/repo:tag, repo@sha256:...: an image reference, not a path.
  struct stat st;
  bool exists = stat(root.c_str(), &st) == 0;
  if (!exists && (root.find('@') != std::string::npos ||
                  root.find(':') != std::string::npos)) {
    return " (this looks like an image reference; regsweep works on the "
           "registry's storage directory, storage.filesystem.rootdirectory "
           "in its config.yml, or takes --config)";
  }
  return "";
}

}  // namespace

bool OpenStore(const std::string& root,
               std::unique_ptr<storage::Store>* store) {
  Status s = OpenStoreAt(root, store);
  Status layout;
  if (s.ok()) {
    storage::ObjectInfo info;
    layout = (*store)->Stat(storage::layout::V2Root(), &info);
    if (layout.ok() && info.type == storage::EntryType::kDirectory) return true;
  }
  if (!s.ok()) {
    Log(LogLevel::kError, s.message() + StoreHint(root));
    return false;
  }
  if (IsS3Location(root)) {
    // The probe's own error (credentials, bucket, endpoint) says more than
    // "not a registry store"; an empty prefix is left to the command, and
    // so is a store that does not answer: gc reports it as a refused run
    // (exit 3, with its JSON report), the other commands as they fail.
    if (layout.IsNotFound() || layout.IsIOError()) return true;
    Log(LogLevel::kError, layout.message());
    return false;
  }
  std::string hint = StoreHint(root);
  if (!hint.empty()) {
    Log(LogLevel::kError, root + ": not a registry store" + hint);
    return false;
  }
  return true;  // the command's own check says what is missing
}

Status CheckReportWritable(const std::string& path) {
  if (path.empty() || path == "-") return Status::OK();
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  bool created = fd >= 0;
  if (fd < 0 && errno == EEXIST) fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status::IOError(path, std::string("cannot write the report: ") +
                                     std::strerror(errno));
  }
  close(fd);
  if (created) unlink(path.c_str());
  return Status::OK();
}

std::string CurrentUser() {
  uid_t uid = geteuid();
  struct passwd* pw = getpwuid(uid);
  std::string name = pw != nullptr ? pw->pw_name : "?";
  return "'" + name + "' (uid " + std::to_string(uid) + ")";
}

int ReportDenied(const Status& denied, bool object_store) {
  if (object_store) {
    // The store's message names the credentials and what they lack; no
    // Unix user can mend it.
    Log(LogLevel::kError, "nothing was deleted: " + denied.message());
    return kExitUsage;
  }
  Log(LogLevel::kError,
      "nothing was deleted: user " + CurrentUser() + " may not delete in " +
          denied.message() + ". " + kRunAsOwnerHint);
  return kExitUsage;
}

bool RootFromConfig(const std::string& config, std::string* root) {
  Status s = LocationFromConfig(config, root);
  if (!s.ok()) FailToStart(s);
  return s.ok();
}

bool ParseGraceAndJobs(const std::string& grace, int jobs, int64_t* grace_ns) {
  if (!ParseDuration(grace, grace_ns)) {
    Log(LogLevel::kError, "--grace '" + grace +
                              "' is not a duration (say 0, 90s, 30m, 1h, "
                              "1h30m, 2d)");
    return false;
  }
  std::string problem = JobsProblem(jobs);
  if (!problem.empty()) {
    Log(LogLevel::kError, problem);
    return false;
  }
  return true;
}

std::string JobsProblem(int jobs) {
  if (jobs < 0 || jobs > kMaxJobs) {
    return "--jobs must be from 0 (automatic) to " + std::to_string(kMaxJobs);
  }
  return "";
}

std::string GraceAndJobsProblem(const std::string& grace, int jobs,
                                int64_t* grace_ns) {
  if (!ParseDuration(grace, grace_ns)) {
    return "--grace '" + grace + "' is not a duration";
  }
  return JobsProblem(jobs);
}

Status WriteText(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return Status::OK();
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    return Status::IOError(path, std::string("cannot write the report: ") +
                                     std::strerror(errno));
  }
  return Status::OK();
}

}  // namespace regsweep::cli
