// The safety property of ParseManifest, checked against GoOracle, with what
// a fuzzer needs around it: printing an input, shrinking a counterexample,
// and reporting the input that crashed the process.
//
// The property, for every input `bytes`, with ours = gc::ParseManifest:
//   oracle.references ⊆ ours_refs = { r.digest.str() : r in ours.references }
//   oracle.subjects   ⊆ { ours.subject }
//                       ∪ (ours.kind is kUnknown or kInvalid ? ours_refs : ∅)
// A subject is not a reference, but where ParseManifest does not understand
// a manifest it over-reports, and what it reports as a reference is a
// referrer edge too as far as keeping blobs goes.
#ifndef REGSWEEP_TESTS_TESTUTIL_MANIFEST_PROPERTY_H_
#define REGSWEEP_TESTS_TESTUTIL_MANIFEST_PROPERTY_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "gc/collection/manifest.h"
#include "testutil/go_json_oracle.h"

namespace regsweep::testing {

struct Miss {
  std::string digest;
  bool subject = false;  // a missed subject, else a missed reference
};

struct ManifestCheck {
  OracleResult oracle;
  gc::ParsedManifest ours;
  std::vector<Miss> misses;  // empty when the property holds
};

ManifestCheck CheckManifest(std::string_view bytes);

// `bytes` as a C string literal's content: printable ASCII as it is, '"'
// and '\\' escaped, anything else \xNN (split with "" where a hex digit
// follows, so it pastes into C++). Cut after `max_bytes` input bytes.
std::string Escaped(std::string_view bytes, size_t max_bytes);

// A readable report of a failed check: the misses, how each side read the
// input, and the input itself (escaped, cut after max_bytes).
std::string DescribeFailure(std::string_view bytes, const ManifestCheck& check,
                            size_t max_bytes);

// True when CheckManifest(bytes) reports `miss` (same digest, same side).
bool StillMisses(std::string_view bytes, const Miss& miss);

// A shorter counterexample: deletes chunks of `bytes`, halving their size
// down to one byte, keeping each deletion after which still_fails holds.
// Calls still_fails at most `max_checks` times.
std::string Shrink(std::string bytes,
                   const std::function<bool(const std::string&)>& still_fails,
                   size_t max_checks);

// While a CrashReporter exists, a fatal signal (SIGSEGV, SIGBUS, SIGFPE,
// SIGILL, SIGABRT) first writes the input last passed to Watch to stderr,
// escaped, then kills the process as the signal would have. One at a time.
class CrashReporter {
 public:
  CrashReporter();
  ~CrashReporter();
  CrashReporter(const CrashReporter&) = delete;
  CrashReporter& operator=(const CrashReporter&) = delete;

  // `input` must stay alive until the next Watch or the destructor.
  void Watch(std::string_view input);
};

}  // namespace regsweep::testing

#endif  // REGSWEEP_TESTS_TESTUTIL_MANIFEST_PROPERTY_H_
