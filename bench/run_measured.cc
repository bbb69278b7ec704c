// run_measured: runs a command and writes what it cost, for bench/e2e.py.
//
//   run_measured REPORT_FILE COMMAND [ARG...]
//
// Runs COMMAND with this process's stdin, stdout and stderr, then writes
// "<wall s> <user s> <system s> <peak RSS KiB> <exit code>" to REPORT_FILE
// and exits 0 (1 when COMMAND could not be run at all).
//
// Why a launcher: a process's peak RSS (ru_maxrss) counts the memory of the
// process it was forked from, up to its exec. Started straight from the
// benchmark's Python, which holds hundreds of MB of reports, every tool
// seemed that large. Forked from this small program, it is its own size.
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>

namespace {

double Seconds(const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; }

double Now() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: run_measured REPORT_FILE COMMAND [ARG...]\n");
    return 1;
  }
  double start = Now();
  pid_t pid = fork();
  if (pid < 0) {
    std::perror("run_measured: fork");
    return 1;
  }
  if (pid == 0) {
    execvp(argv[2], argv + 2);
    std::perror("run_measured: exec");
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  if (wait4(pid, &status, 0, &usage) < 0) {
    std::perror("run_measured: wait4");
    return 1;
  }
  double wall = Now() - start;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::FILE* report = std::fopen(argv[1], "w");
  if (report == nullptr) {
    std::perror("run_measured: report file");
    return 1;
  }
  std::fprintf(report, "%.6f %.6f %.6f %ld %d\n", wall, Seconds(usage.ru_utime),
               Seconds(usage.ru_stime), usage.ru_maxrss, code);
  return std::fclose(report) == 0 ? 0 : 1;
}
