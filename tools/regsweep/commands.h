// The regsweep subcommands. Each takes the arguments after its name and
// returns the process exit code:
//   0  done, nothing to report
//   1  done, with problems reported (or some deletions failed: rerun)
//   2  bad usage, or not a registry store (the message says which)
//   3  the sweep was refused: an error could hide a reference, so nothing
//      was deleted (the message names the file)
//   4  another run holds the store's lock (the message says which); nothing
//      was changed
#ifndef REGSWEEP_TOOLS_REGSWEEP_COMMANDS_H_
#define REGSWEEP_TOOLS_REGSWEEP_COMMANDS_H_

#include <string>
#include <vector>

namespace regsweep::cli {

enum ExitCode {
  kExitOk = 0,
  kExitProblems = 1,
  kExitUsage = 2,
  kExitRefused = 3,
  kExitLocked = 4,
};

int GcCommand(const std::vector<std::string>& args);
int GarbageCollectCommand(const std::vector<std::string>& args);
int IndexCommand(const std::vector<std::string>& args);
int TagCommand(const std::vector<std::string>& args);
int RetainCommand(const std::vector<std::string>& args);
int AuditCommand(const std::vector<std::string>& args);
int WhyCommand(const std::vector<std::string>& args);
int DuCommand(const std::vector<std::string>& args);
int QuarantineCommand(const std::vector<std::string>& args);
int RestoreCommand(const std::vector<std::string>& args);

}  // namespace regsweep::cli

#endif  // REGSWEEP_TOOLS_REGSWEEP_COMMANDS_H_
