#!/usr/bin/env python3
"""Integration test: `gen_store --churn` changes a store as the registry
would, and regsweep's incremental pass sees the change as a full pass does.

Generates a small store (`--sample`, a few more repositories), builds a
regsweep index for each mode (default and -m) with a full dry run, then
churns the store twice (two seeds). After each round it checks the change
on disk against the one-line summary: only that many repositories changed;
new blobs as counted, half the orphans linked nowhere; deleted manifests
keep their empty revision directory and their blob is eligible for
deletion; moved tags were rewritten in place (same inode) with the new
digest added to their history; tags were removed and created no more than
counted. It then checks that the incremental dry run (`--index`, 2 s after
the change: regsweep re-reads what changed within the last second or two)
names exactly the blobs and manifests a `--full` dry run names, in both
modes, and that it reused stored repositories. After the first round, a
copy of the pristine store churned with the same seed must be
byte-identical. At the end: the store is consistent (the checks of
test_gen_store_serves), distribution's `garbage-collect --dry-run` reads it
without error, `docker-registry serve` serves every tag, manifest and blob
(deleted manifests 404), and `skopeo inspect` and `skopeo copy` of moved
tags (an index with --all, if one moved) give the tags' new digests.

Run by ctest as:
  python3 test_gen_store_churn.py --regsweep PATH --gen-store PATH
Python 3 standard library only. Prints one PASS/FAIL line per check and a
final "N passed, N failed" line; exits non-zero when a check failed.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import registry_harness as rh  # noqa: E402
import test_gen_store_serves as serves  # noqa: E402

SEED = "11"
REPOS = "10"
CHURN = "0.3"
# --seed of each round of churn: with these, an index tag moves too.
ROUNDS = ("1", "2")
# regsweep re-reads whatever changed within about the last second or two
# (a change in the same clock tick could hide); wait this long before a
# pass that should reuse what the index stored.
SETTLE_SECONDS = 2.1
MODES = (("default", []), ("-m", ["-m"]))


def gen_store(args, *argv):
    """Runs gen_store; returns (CompletedProcess, summary dict)."""
    r = subprocess.run([args.gen_store, *argv], capture_output=True,
                       text=True, timeout=300)
    lines = r.stdout.strip().splitlines()
    return r, serves.parse_summary(lines[-1]) if lines else {}


def churn(args, root, seed):
    return gen_store(args, "--root", root, "--churn", CHURN, "--seed", seed)


def repo_of(path):
    """The repository a path of tree_fingerprint lies in, or None."""
    parts = path.split(os.sep)
    if parts[:4] != ["docker", "registry", "v2", "repositories"]:
        return None
    name = []
    for part in parts[4:]:
        if part.startswith("_"):
            return "/".join(name)
        name.append(part)
    return None


class Snapshot:
    """What a round of churn is checked against: the store before it."""

    def __init__(self, root):
        self.repos = serves.scan_repositories(root)
        self.blobs = set(serves.walk_blobs(root))
        self.tree = serves.tree_fingerprint(root)
        self.inodes = {}  # (repo, tag) -> inode of current/link
        for repo in self.repos.values():
            for tag in repo.tags:
                self.inodes[(repo.name, tag)] = os.stat(
                    tag_link(root, repo.name, tag)).st_ino


def tag_link(root, repo, tag):
    return os.path.join(root, serves.V2, "repositories", repo, "_manifests",
                        "tags", tag, "current", "link")


def check_round(t, root, before, summary, label):
    """The change on disk agrees with the summary. Returns the digests of
    the manifests it deleted and how many tags it removed."""
    after = serves.scan_repositories(root)
    tree = serves.tree_fingerprint(root)
    changed = {repo_of(path) for path, _ in
               set(before.tree.items()) ^ set(tree.items())} - {None}
    t.check(len(changed) == int(summary["repositories"]) > 0,
            f"{label}: {summary['repositories']} of {summary['of']} "
            "repositories changed", sorted(changed))
    t.check(int(summary["of"]) == len(before.repos),
            f"{label}: the summary counts the store's repositories")

    blobs = set(serves.walk_blobs(root))
    t.check(before.blobs <= blobs and
            len(blobs - before.blobs) == int(summary["blobs"]),
            f"{label}: {summary['blobs']} new blobs, none removed",
            f"{len(blobs - before.blobs)} new, "
            f"{len(before.blobs - blobs)} removed")

    linked = set().union(*(r.layers | r.revisions | r.deleted_revisions
                           for r in after.values()))
    bare = {h for h in blobs - before.blobs if "sha256:" + h not in linked}
    t.check(len(bare) == int(summary["orphans"]) // 2,
            f"{label}: of {summary['orphans']} orphans, every other one is "
            "linked nowhere", sorted(bare))

    deleted, kept_dir = set(), True
    for name, repo in before.repos.items():
        gone = repo.revisions - after[name].revisions
        kept_dir &= gone <= after[name].deleted_revisions
        deleted |= gone
    t.check(kept_dir, f"{label}: deleted manifests keep their revision "
            "directory, without its link")
    t.check(len(deleted) == int(summary["manifests_deleted"]) > 0,
            f"{label}: {summary['manifests_deleted']} manifests deleted",
            sorted(deleted))
    new_revisions = sum(len(r.revisions) for r in after.values()) - \
        sum(len(r.revisions - deleted) for r in before.repos.values())
    t.check(new_revisions == int(summary["manifests"]),
            f"{label}: every new manifest is revision-linked "
            f"({summary['manifests']})", new_revisions)

    removed = check_tags(t, root, before, after, summary, label)
    return deleted, removed


def check_tags(t, root, before, after, summary, label):
    """Returns how many of the tags before the round are gone."""
    removed, moved, not_in_place = [], [], []
    for (name, tag), inode in before.inodes.items():
        old = before.repos[name].tags[tag]
        new = after[name].tags.get(tag)
        if new is None:
            removed.append(f"{name}:{tag}")
            continue
        if new == old:
            continue
        history = after[name].tag_history[tag]
        if before.repos[name].tag_history[tag] <= history:  # not recreated
            moved.append(f"{name}:{tag}")
            if os.stat(tag_link(root, name, tag)).st_ino != inode or \
                    new not in history:
                not_in_place.append(f"{name}:{tag}")
    t.check(moved and len(moved) <= int(summary["tags_moved"]),
            f"{label}: tags moved ({len(moved)}; {summary['tags_moved']} "
            "moves in all)")
    t.check(not not_in_place, f"{label}: moved tags' current links were "
            "rewritten in place and their history names the new digest",
            "\n".join(not_in_place))
    t.check(len(removed) <= int(summary["tags_deleted"]) +
            int(summary["tags_untagged"]),
            f"{label}: tags removed ({len(removed)}; {summary['tags_deleted']}"
            f" deleted, {summary['tags_untagged']} with their manifest, some "
            "perhaps pushed again)", removed)
    new_tags = [f"{n}:{tag}" for n, r in after.items() for tag in r.tags
                if (n, tag) not in before.inodes]
    t.check(len(new_tags) <= int(summary["tags_created"]),
            f"{label}: new tags ({len(new_tags)}) are no more than the "
            f"summary's {summary['tags_created']}", new_tags)
    return len(removed)


def regsweep_pass(t, args, root, work, mode, extra, label):
    res = rh.run_regsweep_gc(args.regsweep, root,
                             os.path.join(work, "report.json"), dry_run=True,
                             extra=(*mode, *extra))
    ok = res.returncode in (0, 1) and res.report and \
        "_json_error" not in res.report
    t.check(ok, f"{label}: regsweep gc {' '.join(mode + extra)} runs",
            res.describe())
    return res if ok else None


def build_indexes(t, args, root, work):
    for name, mode in MODES:
        index = os.path.join(work, "index-" + name)
        res = regsweep_pass(t, args, root, work, mode, ["--index", index],
                            f"{name}: first pass")
        if res:
            t.check(res.report.get("pass") == "full",
                    f"{name}: the first pass with a new index is full",
                    res.report.get("pass"))


def check_incremental(t, args, root, work, deleted, label):
    """The incremental dry run names what a full one names, in both modes."""
    for name, mode in MODES:
        index = os.path.join(work, "index-" + name)
        what = f"{label} {name}"
        inc = regsweep_pass(t, args, root, work, mode, ["--index", index],
                            f"{what}: incremental pass")
        full = regsweep_pass(t, args, root, work, mode, ["--full"],
                             f"{what}: full pass")
        if not inc or not full:
            continue
        report = inc.report
        t.check(report.get("pass") == "incremental",
                f"{what}: the pass with the index is incremental",
                report.get("pass"))
        t.check(full.report.get("pass") == "full", f"{what}: --full is full",
                full.report.get("pass"))
        reread = report.get("repositories_reread")
        t.check(reread is not None and
                reread < report.get("repositories", 0),
                f"{what}: the incremental pass re-read {reread} of "
                f"{report.get('repositories')} repositories")
        t.check_sets(inc.blobs_eligible, full.blobs_eligible,
                     f"{what}: incremental and full name the same blobs")
        t.check_sets(inc.manifests_eligible, full.manifests_eligible,
                     f"{what}: incremental and full name the same manifests")
        t.check(deleted <= full.blobs_eligible,
                f"{what}: the manifests churn deleted are eligible",
                sorted(deleted - full.blobs_eligible))


def check_determinism(t, args, pristine, root, seed):
    r, _ = churn(args, pristine, seed)
    t.check(r.returncode == 0, "churning a copy of the pristine store works",
            r.stderr)
    a, b = serves.tree_fingerprint(pristine), serves.tree_fingerprint(root)
    diff = sorted(set(a.items()) ^ set(b.items()))[:10]
    t.check(a == b, "the same store and seed give the same churn, byte for "
            "byte", "\n".join(str(d) for d in diff))


def check_registry(t, root, work, pristine_tags):
    """distribution reads the store, serves it, and skopeo pulls moved tags."""
    registry = serves.Registry(root, work)
    try:
        out = rh.distribution_gc(registry.config)
        errors = [line for line in (out.text + out.stderr).splitlines()
                  if "level=error" in line]
    except (rh.CommandError, RuntimeError) as e:
        errors = [str(e)]
    t.check(not errors, "distribution's garbage-collect --dry-run reads the "
            "churned store", "\n".join(errors)[-2000:])
    repos = serves.scan_repositories(root)
    moved = sorted((name, tag, digest) for name, repo in repos.items()
                   for tag, digest in repo.tags.items()
                   if pristine_tags.get((name, tag)) not in (None, digest))
    if not t.check(moved, f"some tags moved since generation ({len(moved)})"):
        return
    try:
        if not t.check(registry.start(), "docker-registry serves the churned "
                       "store", serves.read_text(registry.log)):
            return
        serves.check_served(t, registry, repos)
        for n, (name, tag, digest) in enumerate(pick_moved(root, moved)):
            pull_moved(t, registry, root, work, n, name, tag, digest)
    finally:
        registry.stop()


def pick_moved(root, moved):
    """A moved tag on an image and, if one moved, one on an index."""
    picks = {}
    for name, tag, digest in moved:
        manifest = json.loads(serves.read_text(serves.blob_path(root,
                                                                digest[7:])))
        picks.setdefault("manifests" in manifest, (name, tag, digest))
    return list(picks.values())


def pull_moved(t, registry, root, work, n, name, tag, digest):
    reference = f"127.0.0.1:{registry.port}/{name}:{tag}"
    r = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false",
                        "docker://" + reference], capture_output=True,
                       timeout=300)
    t.check(r.returncode == 0 and
            "sha256:" + hashlib.sha256(r.stdout).hexdigest() == digest,
            f"skopeo inspect of moved tag {name}:{tag} gives {digest}",
            r.stderr.decode(errors="replace"))
    manifest = json.loads(serves.read_text(serves.blob_path(root, digest[7:])))
    media_type = manifest.get("mediaType", "")
    index = "manifests" in manifest
    dest = os.path.join(work, f"pull-{n}")
    r = serves.skopeo_copy(registry, f"{name}:{tag}", dest, index)
    if t.check(r.returncode == 0, f"skopeo copy{' --all' if index else ''} of "
               f"moved tag {name}:{tag} ({media_type})", r.stderr):
        serves.check_dir_copy(t, f"moved tag {name}:{tag}", dest, digest,
                              media_type)


def run(t, args, work):
    root = os.path.join(work, "store")
    r, summary = gen_store(args, "--root", root, "--sample", "--repos", REPOS,
                           "--seed", SEED)
    if not t.check(r.returncode == 0, "gen_store --sample succeeds",
                   r.stdout + r.stderr):
        return
    r, _ = gen_store(args, "--root", os.path.join(work, "none"), "--churn",
                     CHURN)
    t.check(r.returncode != 0, "--churn refuses a root without a store")
    r, _ = gen_store(args, "--root", root, "--churn", CHURN, "--repos", "3")
    t.check(r.returncode != 0, "--churn refuses options that shape a store")
    pristine = os.path.join(work, "pristine")
    shutil.copytree(root, pristine, symlinks=True)
    pristine_tags = {(n, tag): d
                     for n, repo in serves.scan_repositories(root).items()
                     for tag, d in repo.tags.items()}
    time.sleep(SETTLE_SECONDS)
    build_indexes(t, args, root, work)
    blobs = int(summary["blobs"])
    tags_removed = 0
    for n, seed in enumerate(ROUNDS):
        label = f"round {n + 1} (--seed {seed})"
        before = Snapshot(root)
        r, summary = churn(args, root, seed)
        if not t.check(r.returncode == 0 and "builds" in summary,
                       f"{label}: gen_store --churn {CHURN} succeeds: "
                       f"{r.stdout.strip()}", r.stdout + r.stderr):
            return
        blobs += int(summary["blobs"])
        deleted, removed = check_round(t, root, before, summary, label)
        tags_removed += removed
        if n == 0:
            check_determinism(t, args, pristine, root, seed)
            shutil.rmtree(pristine)
        time.sleep(SETTLE_SECONDS)
        check_incremental(t, args, root, work, deleted, label)
    t.check(tags_removed > 0, f"tags were removed ({tags_removed})")
    serves.check_store(t, root, {"blobs": str(blobs)})
    check_registry(t, root, work, pristine_tags)


def main(argv):
    args = rh.parse_args(argv[1:], __doc__)
    rh.install_signal_handlers()  # SIGTERM: the registry is stopped too
    t = rh.TestRun("gen_store_churn")
    if not t.check(args.gen_store, "--gen-store names the binary"):
        return t.finish()
    args.gen_store = os.path.abspath(args.gen_store)
    try:
        rh.require_tools()
        with rh.TempDir("gen-store-churn-", keep=args.keep) as work:
            run(t, args, work)
    except KeyboardInterrupt as e:
        t.check(False, f"interrupted ({e})")
    except Exception:
        t.crash("the test")
    return t.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
