#!/usr/bin/env python3
"""Differential test: regsweep's dry runs against distribution's collector.

Builds a store through the real registry (oci_layouts.build_reference_store:
nested repository names, shared base layers, a tagged multi-platform index,
referrers including a referrer of a referrer, a moved tag, a manifest deleted
through the API whose layers another repository shares), stops the registry,
then compares:

  a. default mode: `regsweep gc STORE --dry-run --grace 0 --json F` and the
     drop-in `regsweep garbage-collect CONFIG --dry-run --grace 0` against
     `docker-registry garbage-collect --dry-run CONFIG`: identical eligible
     blobs, identical eligible lines, identical summary counts.
  b. --delete-untagged: distribution's dry run wants to delete the index
     children and the referrers (its known data-loss bug, checked here);
     regsweep must keep them. Expected sets are derived from what the test
     pushed, not from either tool's output.

Usage (as ctest runs it): test_differential.py --regsweep PATH --gen-store X
Exit status 0 only if every check passed; the last line is `N passed, N failed`.
"""

import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import registry_harness as rh  # noqa: E402
from oci_layouts import build_reference_store, check_store_matches  # noqa: E402


def blob_sizes(root, digests):
    return sum(os.path.getsize(rh.blob_data_path(root, d)) for d in digests)


def check_report_basics(t, res, label, mode, dry_run):
    """Exit code, mode, flags and the absence of problems."""
    rep = res.report
    ok = t.check(res.returncode == 0 and rep and "_json_error" not in rep,
                 f"{label}: exit 0 and a JSON report", res.describe())
    if not ok:
        return False
    t.check(rep.get("mode") == mode, f"{label}: mode is {mode!r}",
            f"got {rep.get('mode')!r}")
    t.check(rep.get("dry_run") is dry_run, f"{label}: dry_run is {dry_run}",
            f"got {rep.get('dry_run')!r}")
    t.check(rep.get("fatal") is None, f"{label}: no fatal error",
            f"got {rep.get('fatal')!r}")
    t.check(rep.get("problems") == [], f"{label}: no problems reported",
            f"got {rep.get('problems')!r}")
    return True


def check_default_mode(t, args, reg, sc, wd):
    root, names = reg.root, sc.names
    all_blobs = sc.all_blobs()
    expected = all_blobs - sc.kept_default()

    dist = rh.distribution_gc(reg.config, dry_run=True)
    t.check_sets(dist.blobs_eligible, expected,
                 "default: distribution's eligible blobs match the scenario",
                 names)
    t.check(dist.summary == (len(all_blobs) - len(expected), len(expected), 0),
            "default: distribution's summary counts match the scenario",
            f"got {dist.summary}")
    deleted_img = sc.deleted[0][1]
    t.check(deleted_img.digest in dist.blobs_eligible,
            "default: the image deleted through the API is eligible "
            "(distribution)")
    t.check(len(sc.shared_with_deleted) == 2
            and not (sc.shared_with_deleted & dist.blobs_eligible),
            "default: layers shared with the deleted image stay "
            "(distribution)")

    if args.distribution_only:
        return
    before_blobs = rh.blobs_on_disk(root)
    before_revs = rh.revisions_on_disk(root)

    res = rh.run_regsweep_gc(args.regsweep, root,
                             os.path.join(wd, "default.json"), dry_run=True)
    if check_report_basics(t, res, "default: regsweep gc --dry-run",
                           "default", True):
        rep = res.report
        t.check_sets(res.blobs_eligible, dist.blobs_eligible,
                     "default: regsweep eligible blobs == distribution's",
                     names)
        t.check_sets(res.manifests_eligible, set(),
                     "default: regsweep finds no manifest eligible", names)
        t.check(rep.get("blobs_marked") == dist.marked,
                "default: blobs_marked == distribution's marked count",
                f"regsweep {rep.get('blobs_marked')}, distribution "
                f"{dist.marked}")
        want_bytes = blob_sizes(root, dist.blobs_eligible & before_blobs)
        t.check(rep.get("bytes_eligible") == want_bytes,
                "default: bytes_eligible is the size of the eligible blobs",
                f"regsweep {rep.get('bytes_eligible')}, on disk {want_bytes}")
        t.check((rep.get("blobs_deleted"), rep.get("manifests_deleted"),
                 rep.get("bytes_deleted")) == (0, 0, 0),
                "default: dry run reports nothing deleted",
                f"got {rep.get('blobs_deleted')}, "
                f"{rep.get('manifests_deleted')}, {rep.get('bytes_deleted')}")
        t.check(not (sc.shared_with_deleted & res.blobs_eligible),
                "default: layers shared with the deleted image stay "
                "(regsweep)")
        t.check(deleted_img.digest in res.blobs_eligible,
                "default: the image deleted through the API is eligible "
                "(regsweep)")
    res = rh.run_regsweep_gc(args.regsweep, root,
                             os.path.join(wd, "default-grace.json"),
                             dry_run=True, grace=None)
    t.check(res.returncode == 0 and res.report
            and not res.blobs_eligible and not res.manifests_eligible,
            "default: with the default grace period nothing just pushed is "
            "eligible", res.describe() + f"\n{sorted(res.blobs_eligible)}")
    t.check(rh.blobs_on_disk(root) == before_blobs
            and rh.revisions_on_disk(root) == before_revs,
            "default: the dry run changed nothing in the store")

    cmd, proc, drop = rh.run_regsweep_dropin(args.regsweep, reg.config,
                                             dry_run=True)
    detail = (f"command: {' '.join(cmd)}\nexit {proc.returncode}\n"
              f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}")
    if t.check(proc.returncode == 0, "default: drop-in exits 0", detail):
        t.check_sets(drop.eligible_lines, dist.eligible_lines,
                     "default: drop-in eligible lines == distribution's",
                     names)
        t.check(drop.summary == dist.summary,
                "default: drop-in summary line == distribution's",
                f"drop-in {drop.summary}, distribution {dist.summary}")


def check_untagged_mode(t, args, reg, sc, wd):
    root, names = reg.root, sc.names
    all_blobs = sc.all_blobs()

    # What distribution 2.8.2 does: only tagged manifests and their direct
    # references are marked.
    dist = rh.distribution_gc(reg.config, dry_run=True, delete_untagged=True)
    dist_expected = all_blobs - sc.kept_distribution_untagged()
    t.check_sets(dist.blobs_eligible, dist_expected,
                 "-m: distribution's eligible blobs match the scenario model",
                 names)
    untagged = sc.untagged_revisions()
    t.check_sets(dist.manifest_digests, {d for _, d in untagged},
                 "-m: distribution flags every untagged revision", names)

    # The bug: index children and referrers of tagged images go too.
    children = {img.digest for _, img in sc.index_children}
    child_content = set()
    for _, img in sc.index_children:
        child_content |= img.closure() - {img.digest}
    kept_blobs, kept_revs = sc.kept_regsweep_untagged()
    kept_referrers = [(r, img) for r, img in sc.referrers
                      if (r, img.digest) in kept_revs]
    t.check(children <= dist.manifest_digests
            and {img.digest for _, img in kept_referrers}
            <= dist.manifest_digests,
            "-m: distribution would delete the index children and the "
            "referrers of tagged images (the data-loss bug)")
    t.check(child_content - sc.kept_distribution_untagged()
            <= dist.blobs_eligible and bool(child_content),
            "-m: distribution would delete the children's configs and "
            "layers, breaking the tagged index")

    # What regsweep must do: keep the closure of every tagged manifest and
    # the referrers of whatever it keeps.
    expected = all_blobs - kept_blobs
    protected = set()
    for _, img in sc.index_children + kept_referrers:
        protected |= img.closure()
    expected_manifests = untagged - kept_revs
    t.check(expected == dist.blobs_eligible - protected,
            "-m: scenario model: ours == distribution's minus children and "
            "referrer chains",
            f"model {sorted(expected)}\nformula "
            f"{sorted(dist.blobs_eligible - protected)}")
    moved = {(r, img.digest) for r, img in sc.moved_away}
    t.check(moved <= expected_manifests and bool(moved),
            "-m: scenario model: the moved-away image is eligible")

    if args.distribution_only:
        return
    res = rh.run_regsweep_gc(args.regsweep, root,
                             os.path.join(wd, "untagged.json"), dry_run=True,
                             delete_untagged=True)
    if check_report_basics(t, res, "-m: regsweep gc --dry-run -m",
                           "delete-untagged", True):
        rep = res.report
        t.check_sets(res.blobs_eligible, expected,
                     "-m: regsweep eligible blobs == distribution's minus "
                     "index children and referrer chains", names)
        t.check_sets(res.manifests_eligible, expected_manifests,
                     "-m: regsweep eligible manifests == untagged images and "
                     "their referrers only", names)
        t.check(moved <= res.manifests_eligible,
                "-m: the moved-away untagged image is eligible")
        t.check(not ({(r, img.digest) for r, img in sc.index_children}
                     & res.manifests_eligible),
                "-m: no index child is eligible")
        t.check(not ({(r, img.digest) for r, img in kept_referrers}
                     & res.manifests_eligible),
                "-m: no referrer of a kept manifest is eligible")
        t.check(rep.get("blobs_marked") == len(all_blobs) - len(expected),
                "-m: blobs_marked counts every kept blob",
                f"regsweep {rep.get('blobs_marked')}, expected "
                f"{len(all_blobs) - len(expected)}")
        want_bytes = blob_sizes(root, expected)
        t.check(rep.get("bytes_eligible") == want_bytes,
                "-m: bytes_eligible is the size of the eligible blobs",
                f"regsweep {rep.get('bytes_eligible')}, on disk {want_bytes}")

    cmd, proc, drop = rh.run_regsweep_dropin(args.regsweep, reg.config,
                                             dry_run=True,
                                             delete_untagged=True)
    detail = (f"command: {' '.join(cmd)}\nexit {proc.returncode}\n"
              f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}")
    if t.check(proc.returncode == 0, "-m: drop-in exits 0", detail):
        t.check_sets(drop.blobs_eligible, expected,
                     "-m: drop-in blob lines == expected", names)
        t.check_sets(drop.manifest_digests,
                     {d for _, d in expected_manifests},
                     "-m: drop-in manifest lines == expected", names)
        want = (len(all_blobs) - len(expected), len(expected),
                len(expected_manifests))
        t.check(drop.summary == want, "-m: drop-in summary counts",
                f"drop-in {drop.summary}, expected {want}")


def main(argv):
    args = rh.parse_args(argv[1:], __doc__)
    rh.install_signal_handlers()
    t = rh.TestRun("differential")
    try:
        rh.require_tools()
        if not args.distribution_only and not os.access(args.regsweep,
                                                        os.X_OK):
            t.check(False, f"regsweep binary {args.regsweep} is executable")
            return t.finish()
        with rh.TempDir("regsweep-differential-", keep=args.keep) as wd:
            reg = rh.Registry(wd)
            with reg:
                sc = build_reference_store(reg, wd)
            problems = check_store_matches(sc, reg.root)
            t.check(not problems, "the store holds exactly what was pushed",
                    "\n".join(problems))
            for phase in (check_default_mode, check_untagged_mode):
                try:
                    phase(t, args, reg, sc, wd)
                except (KeyboardInterrupt, SystemExit):
                    raise
                except Exception:
                    t.crash(phase.__name__)
    except KeyboardInterrupt as e:
        t.check(False, f"interrupted ({e})")
    except Exception:
        t.crash("setup")
    finally:
        rh.stop_all_registries()
    return t.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
