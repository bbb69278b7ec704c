// regsweep: a parallel, safe garbage collector for distribution registry
// stores. This file only dispatches to the subcommands.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "tools/regsweep/commands.h"
#include "tools/regsweep/run_lock_guard.h"

namespace {

constexpr char kUsage[] =
    "usage: regsweep <command> [options]\n"
    "\n"
    "Garbage collection for CNCF distribution (registry:2, docker-registry)\n"
    "filesystem stores. Stop the registry, or put it in read-only mode,\n"
    "while a real (not dry) run deletes.\n"
    "\n"
    "commands:\n"
    "  gc STORE            mark and sweep the store rooted at STORE (the\n"
    "                      directory that contains docker/)\n"
    "  garbage-collect CONFIG\n"
    "                      drop-in for `registry garbage-collect`: same\n"
    "                      arguments, same output lines\n"
    "  index stats|referrers --index DIR\n"
    "                      query the reference index a gc --index wrote\n"
    "  tag ls STORE [REPO] list tags: digest, push time, size\n"
    "  tag rm STORE REPO:TAG...\n"
    "                      remove exactly these tags (no manifest, no other\n"
    "                      tag); gc --delete-untagged then frees the space\n"
    "  retain STORE        remove the tags a retention policy does not keep\n"
    "                      (--keep-last N, --keep-tag REGEX, --older-than D)\n"
    "  audit STORE         check the store: orphaned blobs, missing manifests\n"
    "                      and blobs, malformed links, stale uploads, ...\n"
    "                      (--verify-digests: corrupt blobs too)\n"
    "  why STORE DIGEST    every chain (tag -> index -> manifest) that keeps\n"
    "                      a blob, or since when nothing does\n"
    "  du STORE            space per repository, unique and shared, and\n"
    "                      what gc would reclaim\n"
    "  quarantine ls|purge STORE\n"
    "                      what real runs moved aside (kept --quarantine-for,\n"
    "                      24h by default), and deleting it now\n"
    "  restore STORE RUN [DIGEST...]\n"
    "                      put back what a run moved aside\n"
    "\n"
    "Run `regsweep <command> --help` for a command's options.\n"
    "\n"
    "exit codes: 0 done; 1 done with problems reported; 2 bad usage or not\n"
    "a registry store; 3 sweep refused, nothing deleted; 4 another run holds\n"
    "the store's lock, nothing changed.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 ||
      std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "help") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? regsweep::cli::kExitUsage : regsweep::cli::kExitOk;
  }
  if (std::strcmp(argv[1], "--version") == 0) {
    std::puts("regsweep " REGSWEEP_VERSION);
    return 0;
  }
  regsweep::cli::SetCommandLine(argc, argv);
  std::string command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "gc") return regsweep::cli::GcCommand(args);
  if (command == "index") return regsweep::cli::IndexCommand(args);
  if (command == "tag") return regsweep::cli::TagCommand(args);
  if (command == "retain") return regsweep::cli::RetainCommand(args);
  if (command == "audit") return regsweep::cli::AuditCommand(args);
  if (command == "why") return regsweep::cli::WhyCommand(args);
  if (command == "du") return regsweep::cli::DuCommand(args);
  if (command == "quarantine") return regsweep::cli::QuarantineCommand(args);
  if (command == "restore") return regsweep::cli::RestoreCommand(args);
  if (command == "garbage-collect") {
    return regsweep::cli::GarbageCollectCommand(args);
  }
  std::fprintf(stderr, "regsweep: '%s' is not a command\n\n%s",
               command.c_str(), kUsage);
  return regsweep::cli::kExitUsage;
}
