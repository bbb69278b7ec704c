// manifest_fuzz: a long-running fuzz driver for gc::ParseManifest, with the
// generator, oracle and property of tests/manifest_fuzz_test.cc
// (tests/testutil/manifest_mutator.h, go_json_oracle.h, manifest_property.h).
//
//   manifest_fuzz [--seconds N] [--seed S] [--iterations N]
//                 [--shrink N] [--max-reports N] [--max-shown BYTES]
//                 [--hang-seconds N]
//   manifest_fuzz --replay SEED:INDEX   (one input, its check, shrunk)
//
// Prints the inputs checked and the rate every 10 seconds and at the end,
// and every counterexample as it is found: an input whose references miss a
// digest the oracle found, an input that crashes ParseManifest, or one it
// hangs on (no progress for --hang-seconds). Each is printed escaped (cut
// after --max-shown bytes) with what was missed, the seed and the index
// that --replay takes; the first --shrink misses and the first --shrink
// crashes or hangs are also shrunk. Misses past the first --max-reports
// (default 200; 0 for no limit) are only counted: on a parser that misses
// a whole class of inputs, printing each would be hundreds of MB a minute.
// The end summary counts the misses by how each side read the input.
//
// Exit status: 0 when nothing was found, 1 when something was, 2 on bad
// usage.
//
// The inputs are checked in a child process, so that a crash or a hang is
// reported with its input and the run goes on: the next child starts from
// the next seed of a stream drawn from --seed, so a run is reproducible.
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <string_view>
#include <thread>

#include "gc/collection/manifest.h"
#include "testutil/manifest_mutator.h"
#include "testutil/manifest_property.h"

namespace regsweep::testing {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  double seconds = 60;
  uint64_t seed = 1;
  uint64_t iterations = std::numeric_limits<uint64_t>::max();
  uint64_t shrink = 20;        // counterexamples shrunk
  uint64_t max_reports = 200;  // counterexamples printed; 0: all
  std::string replay;          // "SEED:INDEX"
  size_t max_shown = 2000;     // input bytes printed per counterexample
  double hang_seconds = 10;    // no progress for this long is a hang
};

// What the checking child tells the parent, in memory both map. The
// parent reads it to report a crash or hang with the input at fault.
struct Shared {
  enum Phase : int { kGenerating, kChecking, kShrinking };

  std::atomic<uint64_t> inputs;           // checked, over all children
  std::atomic<uint64_t> counterexamples;  // property failures found
  // By how the first miss arose: [go_valid][ours.kind][subject].
  std::atomic<uint64_t> by_category[2][5][2];
  std::atomic<uint64_t> steps;  // one per check: progress
  std::atomic<int> phase;
  std::atomic<uint64_t> size;  // of the input in `data`
  char data[ManifestMutator::kMaxSize * 4];
};

Shared* MapShared() {
  void* p = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    std::perror("mmap");
    std::exit(2);
  }
  return new (p) Shared();
}

// Makes `input` the one a crash or hang is blamed on.
void Publish(Shared* shared, std::string_view input, Shared::Phase phase) {
  size_t size = std::min(input.size(), sizeof(shared->data));
  std::memcpy(shared->data, input.data(), size);
  shared->size.store(size);
  shared->phase.store(phase);
  shared->steps.fetch_add(1);
}

// ---------------------------------------------------------------------------
// The child: generates and checks inputs until the deadline.

void ReportCounterexample(uint64_t number, uint64_t seed, uint64_t index,
                          const ManifestMutator& mutator,
                          const std::string& input, const ManifestCheck& check,
                          const Options& options, Shared* shared) {
  std::string report = "counterexample " + std::to_string(number) + " (seed " +
                       std::to_string(seed) + ", input " +
                       std::to_string(index) + ": " + mutator.recipe() +
                       "):\n" +
                       DescribeFailure(input, check, options.max_shown);
  if (number <= options.shrink) {
    const Miss& miss = check.misses.front();
    std::string shrunk = Shrink(
        input,
        [&](const std::string& candidate) {
          Publish(shared, candidate, Shared::kShrinking);
          return StillMisses(candidate, miss);
        },
        5000);
    report += "  shrunk (" + std::to_string(shrunk.size()) +
              " bytes), still missing " + miss.digest + ":\n    \"" +
              Escaped(shrunk, options.max_shown) + "\"\n";
  }
  std::fputs(report.c_str(), stdout);
  std::fflush(stdout);
}

[[noreturn]] void RunChild(uint64_t seed, const Options& options,
                           Clock::time_point deadline, Shared* shared) {
  ManifestMutator mutator(seed);
  for (uint64_t index = 0;
       Clock::now() < deadline && shared->inputs.load() < options.iterations;
       ++index) {
    shared->phase.store(Shared::kGenerating);
    std::string input = mutator.Next();
    Publish(shared, input, Shared::kChecking);
    ManifestCheck check = CheckManifest(input);
    shared->inputs.fetch_add(1);
    if (check.misses.empty()) continue;
    uint64_t number = shared->counterexamples.fetch_add(1) + 1;
    shared
        ->by_category[check.oracle.go_valid][static_cast<int>(check.ours.kind)]
                     [check.misses.front().subject]
        .fetch_add(1);
    if (options.max_reports == 0 || number <= options.max_reports) {
      ReportCounterexample(number, seed, index, mutator, input, check, options,
                           shared);
    }
  }
  std::fflush(stdout);
  _exit(0);
}

// ---------------------------------------------------------------------------
// The parent: runs children, watches them, reports crashes and hangs.

enum class Outcome { kOk, kCrash, kHang };

// Parses `input` in a child of its own: for shrinking a crash.
Outcome ParseIsolated(const std::string& input, double hang_seconds) {
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    alarm(static_cast<unsigned>(hang_seconds) + 1);
    gc::ParseManifest(input);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFSIGNALED(status)) return Outcome::kOk;
  return WTERMSIG(status) == SIGALRM ? Outcome::kHang : Outcome::kCrash;
}

void ReportFault(Outcome fault, int signal_number, uint64_t faults,
                 Shared* shared, const Options& options) {
  std::string input(shared->data, shared->size.load());
  int phase = shared->phase.load();
  const char* what = fault == Outcome::kHang ? "hang" : "crash";
  std::printf(
      "%s (%s) while %s this input:\n  \"%s\"\n", what,
      fault == Outcome::kHang ? "no progress" : strsignal(signal_number),
      phase == Shared::kGenerating  ? "generating the input after"
      : phase == Shared::kShrinking ? "shrinking, on"
                                    : "checking",
      Escaped(input, options.max_shown).c_str());
  if (phase == Shared::kGenerating) return;  // the mutator's fault
  // Shrinking forks once per candidate: only the first few faults.
  if (faults > options.shrink) return;
  if (ParseIsolated(input, options.hang_seconds) != fault) {
    std::printf("  ParseManifest alone does not %s on it: the oracle may\n",
                what);
    return;
  }
  std::string shrunk = Shrink(
      input,
      [&](const std::string& candidate) {
        return ParseIsolated(candidate, options.hang_seconds) == fault;
      },
      fault == Outcome::kHang ? 50 : 2000);
  std::printf("  shrunk (%zu bytes): \"%s\"\n", shrunk.size(),
              Escaped(shrunk, options.max_shown).c_str());
}

constexpr const char* kKindNames[] = {"schema1", "image", "index", "unknown",
                                      "invalid"};

void PrintCategories(const Shared* shared) {
  for (int valid = 1; valid >= 0; --valid) {
    for (int kind = 0; kind < 5; ++kind) {
      for (int subject = 0; subject < 2; ++subject) {
        uint64_t n = shared->by_category[valid][kind][subject].load();
        if (n == 0) continue;
        std::printf("  %10llu  Go %s it, ParseManifest kind %s, missed a %s\n",
                    static_cast<unsigned long long>(n),
                    valid ? "reads" : "rejects", kKindNames[kind],
                    subject ? "subject" : "reference");
      }
    }
  }
}

// Regenerates input INDEX of seed SEED and prints it with its check, and
// shrunk when it is a counterexample.
int Replay(const Options& options) {
  size_t colon = options.replay.find(':');
  if (colon == std::string::npos) return 2;
  uint64_t seed = std::strtoull(options.replay.c_str(), nullptr, 10);
  uint64_t index =
      std::strtoull(options.replay.c_str() + colon + 1, nullptr, 10);
  ManifestMutator mutator(seed);
  std::string input;
  for (uint64_t i = 0; i <= index; ++i) input = mutator.Next();
  ManifestCheck check = CheckManifest(input);
  std::printf("seed %llu, input %llu: %s\n",
              static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(index), mutator.recipe().c_str());
  if (check.misses.empty()) {
    std::printf("  the property holds; input (%zu bytes): \"%s\"\n",
                input.size(), Escaped(input, options.max_shown).c_str());
    return 0;
  }
  std::fputs(DescribeFailure(input, check, options.max_shown).c_str(), stdout);
  const Miss& miss = check.misses.front();
  std::string shrunk = Shrink(
      input,
      [&](const std::string& candidate) {
        return StillMisses(candidate, miss);
      },
      20000);
  std::printf("  shrunk (%zu bytes), still missing %s:\n    \"%s\"\n",
              shrunk.size(), miss.digest.c_str(),
              Escaped(shrunk, options.max_shown).c_str());
  return 1;
}

void PrintProgress(const char* label, Clock::time_point start,
                   const Shared* shared, uint64_t faults) {
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  uint64_t inputs = shared->inputs.load();
  std::printf(
      "%s %.0f s: %llu inputs, %.0f inputs/s, %llu counterexamples, "
      "%llu crashes or hangs\n",
      label, elapsed, static_cast<unsigned long long>(inputs),
      elapsed > 0 ? static_cast<double>(inputs) / elapsed : 0.0,
      static_cast<unsigned long long>(shared->counterexamples.load()),
      static_cast<unsigned long long>(faults));
  std::fflush(stdout);
}

// Waits for the child; kills it when it stops making progress.
Outcome Watch(pid_t pid, const Options& options, Clock::time_point start,
              Shared* shared, uint64_t faults, int* signal_number) {
  uint64_t last_steps = shared->steps.load();
  Clock::time_point last_progress = Clock::now();
  Clock::time_point next_print = Clock::now() + std::chrono::seconds(10);
  for (;;) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      if (!WIFSIGNALED(status)) return Outcome::kOk;
      *signal_number = WTERMSIG(status);
      return Outcome::kCrash;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    Clock::time_point now = Clock::now();
    if (uint64_t steps = shared->steps.load(); steps != last_steps) {
      last_steps = steps;
      last_progress = now;
    } else if (now - last_progress >
               std::chrono::duration<double>(options.hang_seconds)) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return Outcome::kHang;
    }
    if (now >= next_print) {
      PrintProgress("[progress]", start, shared, faults);
      next_print = now + std::chrono::seconds(10);
    }
  }
}

bool ParseOptions(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h" || i + 1 >= argc) return false;
    const char* value = argv[++i];
    if (flag == "--replay") {
      o->replay = value;
      continue;
    }
    char* end = nullptr;
    double number = std::strtod(value, &end);
    if (end == value || *end != '\0' || number < 0) return false;
    if (flag == "--seconds") {
      o->seconds = number;
    } else if (flag == "--seed") {
      o->seed = std::strtoull(value, nullptr, 10);
    } else if (flag == "--iterations") {
      o->iterations = static_cast<uint64_t>(number);
    } else if (flag == "--shrink") {
      o->shrink = static_cast<uint64_t>(number);
    } else if (flag == "--max-reports") {
      o->max_reports = static_cast<uint64_t>(number);
    } else if (flag == "--max-shown") {
      o->max_shown = static_cast<size_t>(number);
    } else if (flag == "--hang-seconds") {
      o->hang_seconds = number;
    } else {
      return false;
    }
  }
  return true;
}

int Main(int argc, char** argv) {
  Options options;
  if (!ParseOptions(argc, argv, &options)) {
    std::fprintf(stderr,
                 "usage: %s [--seconds N] [--seed S] [--iterations N] "
                 "[--shrink N] [--max-reports N] [--max-shown BYTES] "
                 "[--hang-seconds N]\n       %s --replay SEED:INDEX\n",
                 argv[0], argv[0]);
    return 2;
  }
  if (!options.replay.empty()) return Replay(options);
  Shared* shared = MapShared();
  Clock::time_point start = Clock::now();
  Clock::time_point deadline =
      start + std::chrono::duration_cast<Clock::duration>(
                  std::chrono::duration<double>(options.seconds));
  std::printf("manifest_fuzz: seed %llu, %.0f s\n",
              static_cast<unsigned long long>(options.seed), options.seconds);
  Rng seeds(options.seed);
  uint64_t seed = options.seed;
  uint64_t faults = 0;
  for (;;) {
    std::fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
      std::perror("fork");
      return 2;
    }
    if (pid == 0) RunChild(seed, options, deadline, shared);
    int signal_number = 0;
    Outcome outcome =
        Watch(pid, options, start, shared, faults, &signal_number);
    if (outcome == Outcome::kOk) break;
    ++faults;
    ReportFault(outcome, signal_number, faults, shared, options);
    if (Clock::now() >= deadline ||
        shared->inputs.load() >= options.iterations) {
      break;
    }
    seed = seeds.Next();
    std::printf("restarting with seed %llu\n",
                static_cast<unsigned long long>(seed));
  }
  PrintProgress("done:", start, shared, faults);
  PrintCategories(shared);
  if (options.max_reports != 0 &&
      shared->counterexamples.load() > options.max_reports) {
    std::printf("  (only the first %llu counterexamples were printed)\n",
                static_cast<unsigned long long>(options.max_reports));
  }
  return shared->counterexamples.load() + faults > 0 ? 1 : 0;
}

}  // namespace
}  // namespace regsweep::testing

int main(int argc, char** argv) { return regsweep::testing::Main(argc, argv); }
