#include "tools/regsweep/cli_common.h"

#include <cstdio>
#include <fstream>
#include <iostream>

#include "tools/regsweep/commands.h"
#include "tools/regsweep/registry_config.h"
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
  std::fprintf(stderr, "regsweep: %s\n", status.message().c_str());
  return kExitUsage;
}

bool OpenStore(const std::string& root,
               std::unique_ptr<storage::Store>* store) {
  Status s = storage::OpenFileStore(root, store);
  if (!s.ok()) FailToStart(s);
  return s.ok();
}

bool RootFromConfig(const std::string& config, std::string* root) {
  Status s = ReadStorageRoot(config, root);
  if (!s.ok()) FailToStart(s);
  return s.ok();
}

bool ParseGraceAndJobs(const std::string& grace, int jobs, int64_t* grace_ns) {
  if (!ParseDuration(grace, grace_ns)) {
    std::fprintf(stderr,
                 "regsweep: --grace '%s' is not a duration (say 0, 90s, 30m, "
                 "1h, 1h30m, 2d)\n",
                 grace.c_str());
    return false;
  }
  if (jobs < 0) {
    std::fprintf(stderr, "regsweep: --jobs must be 0 or more\n");
    return false;
  }
  return true;
}

std::string GraceAndJobsProblem(const std::string& grace, int jobs,
                                int64_t* grace_ns) {
  if (!ParseDuration(grace, grace_ns)) {
    return "--grace '" + grace + "' is not a duration";
  }
  if (jobs < 0) return "--jobs must be 0 or more";
  return "";
}

Status WriteText(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return Status::OK();
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::IOError(path, "cannot write the JSON report");
  return Status::OK();
}

}  // namespace regsweep::cli
