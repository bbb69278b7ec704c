#!/usr/bin/env python3
"""Real collection, then pulls: what regsweep keeps must still be servable.

For each mode (default, then --delete-untagged), on a fresh store built
through the real registry (oci_layouts.build_reference_store):
  1. stop the registry and run `regsweep gc STORE --grace 0 --json F` for
     real (no dry run);
  2. check the report against the scenario and the disk: the blobs reported
     deleted are gone, every other blob is still there, and the revisions
     removed are exactly the manifests reported, and no `_layers` link is
     left pointing at a deleted blob;
  3. start the registry again and `skopeo copy` every remaining tag to a
     `dir:` copy (`--all` for the index; skopeo verifies every digest);
     check that referrers of kept manifests and the index children still GET
     by digest, and that the manifests deleted by -m no longer do;
  4. stop it and run distribution's `garbage-collect --dry-run` in the same
     mode: default mode must find nothing left to delete; in -m mode it must
     want exactly the blobs regsweep keeps on purpose (index children and
     referrers) and nothing else;
  5. a second regsweep dry run finds nothing more to delete.

Usage (as ctest runs it): test_real_gc_pull.py --regsweep PATH --gen-store X
Exit status 0 only if every check passed; the last line is `N passed, N failed`.
"""

import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import registry_harness as rh  # noqa: E402
from oci_layouts import (MT_INDEX, MT_MANIFEST, build_reference_store,  # noqa: E402
                         check_store_matches)


def expected_sets(sc, untagged):
    """(eligible blobs, eligible (repo, digest) revisions) for a mode."""
    all_blobs = sc.all_blobs()
    if not untagged:
        return all_blobs - sc.kept_default(), set()
    kept, kept_revs = sc.kept_regsweep_untagged()
    return all_blobs - kept, sc.untagged_revisions() - kept_revs


def collect(t, args, reg, sc, wd, label, untagged):
    """Runs the real collection and checks report and disk. Returns the
    (eligible blobs, eligible revisions) expected, or None on failure."""
    want_blobs, want_revs = expected_sets(sc, untagged)
    before_blobs = rh.blobs_on_disk(reg.root)
    before_revs = rh.revisions_on_disk(reg.root)
    want_bytes = sum(os.path.getsize(rh.blob_data_path(reg.root, d))
                     for d in want_blobs)

    res = rh.run_regsweep_gc(args.regsweep, reg.root,
                             os.path.join(wd, label + ".json"),
                             delete_untagged=untagged)
    rep = res.report
    if not t.check(res.returncode == 0 and rep and "_json_error" not in rep,
                   f"{label}: regsweep gc exits 0 with a JSON report",
                   res.describe()):
        return None
    t.check(rep.get("dry_run") is False and rep.get("fatal") is None
            and rep.get("problems") == [],
            f"{label}: real run, no fatal error, no problems",
            f"dry_run {rep.get('dry_run')!r}, fatal {rep.get('fatal')!r}, "
            f"problems {rep.get('problems')!r}")
    t.check_sets(res.blobs_eligible, want_blobs,
                 f"{label}: eligible blobs match the scenario", sc.names)
    t.check_sets(res.manifests_eligible, want_revs,
                 f"{label}: eligible manifests match the scenario", sc.names)
    t.check((rep.get("blobs_deleted"), rep.get("manifests_deleted"),
             rep.get("bytes_deleted"))
            == (len(want_blobs), len(want_revs), want_bytes),
            f"{label}: deleted counts and bytes",
            f"got ({rep.get('blobs_deleted')}, {rep.get('manifests_deleted')},"
            f" {rep.get('bytes_deleted')}), expected ({len(want_blobs)}, "
            f"{len(want_revs)}, {want_bytes})")

    after_blobs = rh.blobs_on_disk(reg.root)
    reported = res.blobs_eligible
    t.check_sets(reported & after_blobs, set(),
                 f"{label}: every blob reported deleted is gone from disk",
                 sc.names)
    t.check_sets(after_blobs, before_blobs - reported,
                 f"{label}: every blob not reported is still on disk",
                 sc.names)
    t.check_sets(rh.revisions_on_disk(reg.root),
                 before_revs - res.manifests_eligible,
                 f"{label}: revision links removed are exactly the manifests "
                 f"reported", sc.names)
    t.check_sets(rh.dangling_layer_links(reg.root), set(),
                 f"{label}: no layer link is left pointing at a deleted blob",
                 sc.names)
    return want_blobs, want_revs


def pull_everything(t, reg, sc, wd, label, removed_revs):
    """Serves the collected store again and pulls what must still be there."""
    with reg:
        for (repo, tag), img in sorted(sc.tagged.items()):
            dest = os.path.join(wd, "pull", label, repo, tag)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            is_index = img.media_type == MT_INDEX
            proc = reg.pull_dir(repo, tag, dest, all_images=is_index)
            t.check(proc.returncode == 0,
                    f"{label}: skopeo pulls {repo}:{tag}"
                    + (" --all" if is_index else ""),
                    proc.stderr[-3000:])
        for repo, img in sc.index_children:
            status, body = reg.get_manifest(repo, img.digest, [MT_MANIFEST])
            t.check(status == 200 and body == img.data,
                    f"{label}: index child {img.name} GETs by digest",
                    f"HTTP {status}")
        for repo, img in sc.referrers:
            status, body = reg.get_manifest(repo, img.digest, [MT_MANIFEST])
            if (repo, img.digest) in removed_revs:
                t.check(status == 404,
                        f"{label}: deleted referrer {img.name} is gone",
                        f"HTTP {status}")
                continue
            t.check(status == 200 and body == img.data,
                    f"{label}: referrer {img.name} GETs by digest",
                    f"HTTP {status}")
            for d in [img.config] + img.layers:
                t.check(reg.blob_status(repo, d) == 200,
                        f"{label}: blob {d[:19]} of referrer {img.name} "
                        f"is served")
        for repo, img in sc.moved_away:
            status, _ = reg.get_manifest(repo, img.digest, [MT_MANIFEST])
            want = 404 if (repo, img.digest) in removed_revs else 200
            t.check(status == want,
                    f"{label}: moved-away image {img.name} GET gives {want}",
                    f"HTTP {status}")


def check_distribution_after(t, reg, sc, label, untagged):
    """distribution's dry run over the collected store."""
    dist = rh.distribution_gc(reg.config, dry_run=True,
                              delete_untagged=untagged)
    if not untagged:
        t.check_sets(dist.blobs_eligible, set(),
                     f"{label}: distribution finds no blob left to delete",
                     sc.names)
        t.check(dist.summary[1:] == (0, 0),
                f"{label}: distribution summary shows nothing eligible",
                f"got {dist.summary}")
        return
    kept, kept_revs = sc.kept_regsweep_untagged()
    on_purpose = kept - sc.kept_distribution_untagged()
    t.check_sets(dist.blobs_eligible, on_purpose,
                 f"{label}: distribution still wants exactly the blobs kept "
                 f"on purpose (index children, referrers)", sc.names)
    kept_untagged = {d for _, d in kept_revs & sc.untagged_revisions()}
    t.check_sets(dist.manifest_digests, kept_untagged,
                 f"{label}: distribution still flags exactly the kept "
                 f"untagged manifests", sc.names)


def run_mode(t, args, wd, untagged):
    label = "-m" if untagged else "default"
    reg = rh.Registry(wd, name="reg-" + ("untagged" if untagged else "default"))
    with reg:
        sc = build_reference_store(reg, wd)
    problems = check_store_matches(sc, reg.root)
    t.check(not problems, f"{label}: the store holds exactly what was pushed",
            "\n".join(problems))
    got = collect(t, args, reg, sc, wd, label, untagged)
    if got is None:
        return
    _, removed_revs = got
    pull_everything(t, reg, sc, wd, label, removed_revs)
    check_distribution_after(t, reg, sc, label, untagged)
    again = rh.run_regsweep_gc(args.regsweep, reg.root,
                               os.path.join(wd, label + "-again.json"),
                               dry_run=True, delete_untagged=untagged)
    t.check(again.returncode == 0 and again.blobs_eligible == set()
            and again.manifests_eligible == set(),
            f"{label}: a second regsweep dry run finds nothing more",
            again.describe() + f"\nblobs {sorted(again.blobs_eligible)}\n"
            f"manifests {sorted(again.manifests_eligible)}")


def main(argv):
    args = rh.parse_args(argv[1:], __doc__)
    rh.install_signal_handlers()
    t = rh.TestRun("real_gc_pull")
    try:
        rh.require_tools()
        if not os.access(args.regsweep, os.X_OK):
            t.check(False, f"regsweep binary {args.regsweep} is executable")
            return t.finish()
        with rh.TempDir("regsweep-real-gc-", keep=args.keep) as wd:
            for untagged in (False, True):
                sub = os.path.join(wd, "untagged" if untagged else "default")
                os.makedirs(sub)
                try:
                    run_mode(t, args, sub, untagged)
                except (KeyboardInterrupt, SystemExit):
                    raise
                except Exception:
                    t.crash("-m mode" if untagged else "default mode")
                finally:
                    rh.stop_all_registries()
    except KeyboardInterrupt as e:
        t.check(False, f"interrupted ({e})")
    except Exception:
        t.crash("setup")
    finally:
        rh.stop_all_registries()
    return t.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
