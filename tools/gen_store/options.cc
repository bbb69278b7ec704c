#include "tools/gen_store/options.h"

#include <boost/program_options.hpp>
#include <algorithm>
#include <exception>
#include <iostream>
#include <thread>

namespace regsweep::gen_store {
namespace {

namespace po = boost::program_options;

// The README demo: a handful of repositories that between them show every
// feature (nested names, a repository inside another, multi-arch indexes,
// referrers, moved tags, deleted manifests, schema1, orphans, an upload) in
// a few hundred blobs.
void ApplySamplePreset(Options* o) {
  o->repos = 6;
  o->builds = 8;
  o->layers = 4;
  o->base_images = 3;
  o->multiarch_fraction = 0.25;
  o->referrer_fraction = 0.25;
  o->tags_per_repo = 3;
  o->deleted_fraction = 0.12;
  o->orphans = 6;
  o->uploads = 3;  // two stale ones and a fresh one, with the age below
  o->nested = true;
  o->schema1_fraction = 0.05;
  o->oci_fraction = 0.4;
  o->age_days = 60;
}

po::options_description Describe() {
  po::options_description d(
      "gen_store: write a synthetic distribution "
      "(registry 2.8 filesystem driver) store\nOptions");
  // clang-format off
  d.add_options()
    ("help,h", "show this help")
    ("root", po::value<std::string>(), "storage root (required); "
        "DIR/docker/registry/v2 must not exist yet")
    ("seed", po::value<uint64_t>(), "random seed (default 1)")
    ("repos", po::value<uint32_t>(), "repositories (default 20)")
    ("builds", po::value<uint32_t>(), "image builds per repository, "
        "average (default 10)")
    ("layers", po::value<uint32_t>(), "layers per image, average (default 5)")
    ("base-images", po::value<uint32_t>(), "shared base layer stacks "
        "(default 8)")
    ("multiarch-fraction", po::value<double>(), "builds pushed as a "
        "multi-platform index (default 0.1)")
    ("referrer-fraction", po::value<double>(), "builds with a signature or "
        "SBOM referrer (default 0.1)")
    ("tags-per-repo", po::value<uint32_t>(), "tags per repository, "
        "'latest' first (default 3)")
    ("deleted-fraction", po::value<double>(), "builds deleted by digest "
        "through the API (default 0.05)")
    ("orphans", po::value<uint32_t>(), "blobs no manifest references "
        "(default 10)")
    ("uploads", po::value<uint32_t>(), "in-progress uploads (default 2)")
    ("nested", "nested repository names (team/app/service)")
    ("schema1-fraction", po::value<double>(), "Docker schema1 builds "
        "(default 0)")
    ("oci-fraction", po::value<double>(), "OCI builds; the rest is Docker "
        "schema2 (default 0.3)")
    ("sample", "small preset for demos (~6 repositories, a few hundred "
        "blobs); other options override it")
    ("blobs", po::value<uint64_t>(), "size the store to about N blobs "
        "(adjusts --repos, or --builds when --repos is given)")
    ("threads", po::value<uint32_t>(), "writer threads (default: one per "
        "hardware thread)")
    ("age", po::value<uint32_t>()->value_name("DAYS"), "backdate file and "
        "directory times (by seed) as if the store grew over the DAYS days "
        "before now: builds spread over the period in push order, each "
        "build's blobs and links at its push, a tag's current link at its "
        "last move, orphans and deleted manifests' leftovers older than a "
        "day (or half the period), uploads all started over a week ago but "
        "one a few minutes ago (their startedat files say so too); "
        "directories as new as their newest entry. Default 0: leave the "
        "times of writing; --sample: 60")
    ("churn", po::value<double>()->value_name("FRACTION"), "instead of "
        "writing a store, change the one at --root (written by gen_store) as "
        "a registry's users would over a few days, in about FRACTION of its "
        "repositories (at least one): push new builds on top of the current "
        "ones (moving tags, sometimes creating one, sometimes signing), "
        "delete a manifest through the API here and there (with the tags "
        "pointing at it), delete a tag, leave a few orphan blobs; then print "
        "what changed. Deterministic: the same store and --seed give the "
        "same changes. Only --root, --seed and --threads apply");
  // clang-format on
  return d;
}

template <typename T>
void Take(const po::variables_map& vm, const char* name, T* out) {
  if (vm.count(name)) *out = vm[name].as<T>();
}

Status CheckFraction(const char* name, double value) {
  if (value >= 0.0 && value <= 1.0) return Status::OK();
  return Status::InvalidArgument(name, "must be between 0 and 1");
}

// The options that shape a new store, which --churn does not write.
// clang-format off
constexpr const char* kShapeOptions[] = {
    "repos", "builds", "layers", "base-images", "multiarch-fraction",
    "referrer-fraction", "tags-per-repo", "deleted-fraction", "orphans",
    "uploads", "nested", "schema1-fraction", "oci-fraction", "sample",
    "blobs", "age"};
// clang-format on

Status ValidateChurn(const po::variables_map& vm, const Options& o) {
  for (const char* name : kShapeOptions) {
    if (vm.count(name)) {
      return Status::InvalidArgument(std::string("--") + name,
                                     "does not apply to --churn");
    }
  }
  if (o.churn_fraction > 0.0 && o.churn_fraction <= 1.0) return Status::OK();
  return Status::InvalidArgument("--churn", "must be above 0 and at most 1");
}

Status Validate(const Options& o) {
  if (o.root.empty()) return Status::InvalidArgument("--root", "is required");
  for (auto [name, value] :
       {std::pair{"--multiarch-fraction", o.multiarch_fraction},
        {"--referrer-fraction", o.referrer_fraction},
        {"--deleted-fraction", o.deleted_fraction},
        {"--schema1-fraction", o.schema1_fraction},
        {"--oci-fraction", o.oci_fraction}}) {
    Status s = CheckFraction(name, value);
    if (!s.ok()) return s;
  }
  if (o.schema1_fraction + o.oci_fraction > 1.0) {
    return Status::InvalidArgument("--schema1-fraction + --oci-fraction",
                                   "must not exceed 1");
  }
  if (o.layers == 0) return Status::InvalidArgument("--layers", "must be > 0");
  // Beyond about a century the period would start before 1970.
  if (o.age_days > 36500) {
    return Status::InvalidArgument("--age", "must be at most 36500 days");
  }
  if (o.base_images == 0) {
    return Status::InvalidArgument("--base-images", "must be > 0");
  }
  return Status::OK();
}

}  // namespace

Status ParseCommandLine(int argc, char** argv, Options* options,
                        bool* exit_now) {
  *exit_now = false;
  const po::options_description description = Describe();
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, description), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    return Status::InvalidArgument("command line", e.what());
  }
  if (vm.count("help")) {
    std::cout << description << "\n";
    *exit_now = true;
    return Status::OK();
  }
  Options o;
  if (vm.count("sample")) ApplySamplePreset(&o);
  Take(vm, "root", &o.root);
  Take(vm, "seed", &o.seed);
  Take(vm, "repos", &o.repos);
  Take(vm, "builds", &o.builds);
  Take(vm, "layers", &o.layers);
  Take(vm, "base-images", &o.base_images);
  Take(vm, "multiarch-fraction", &o.multiarch_fraction);
  Take(vm, "referrer-fraction", &o.referrer_fraction);
  Take(vm, "tags-per-repo", &o.tags_per_repo);
  Take(vm, "deleted-fraction", &o.deleted_fraction);
  Take(vm, "orphans", &o.orphans);
  Take(vm, "uploads", &o.uploads);
  Take(vm, "schema1-fraction", &o.schema1_fraction);
  Take(vm, "oci-fraction", &o.oci_fraction);
  Take(vm, "blobs", &o.target_blobs);
  Take(vm, "threads", &o.threads);
  Take(vm, "age", &o.age_days);
  if (vm.count("nested")) o.nested = true;
  if (vm.count("churn")) {
    o.churn = true;
    o.churn_fraction = vm["churn"].as<double>();
    Status s = ValidateChurn(vm, o);
    if (!s.ok()) return s;
  }
  // --blobs resizes the store through the repository count unless the user
  // fixed that, in which case it goes through the builds per repository.
  o.size_by_builds = o.target_blobs > 0 && vm.count("repos") > 0;
  Status s = Validate(o);
  if (!s.ok()) return s;
  *options = o;
  return Status::OK();
}

uint32_t WriterThreads(const Options& options) {
  return options.threads > 0
             ? options.threads
             : std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace regsweep::gen_store
