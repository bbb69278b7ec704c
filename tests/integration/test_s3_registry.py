#!/usr/bin/env python3
"""regsweep on S3 against distribution's collector, on a real S3 server.

Starts Ceph's RADOS Gateway on loopback (rgw.py), serves the registry from
it (storage.s3, rootdirectory below one bucket), pushes the reference store
through it (oci_layouts.build_reference_store: single images, a
multi-platform index, referrers, a moved tag, a manifest deleted through
the API), keeps a snapshot of the store's objects and then, each part on its
own copy of that snapshot under its own root prefix:

  oracle      distribution's `garbage-collect --dry-run` (and -m) on the
              bucket finds what the scenario says (as test_differential).
  dry runs    `regsweep gc s3://BUCKET/ROOT --s3-endpoint URL --s3-region
              us-east-1 --dry-run --json F --grace 0 [-m]` with the keys in
              AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY: default mode == the
              oracle's eligible blobs and counts; -m keeps the index children
              and referrers that distribution would delete; the bucket is
              unchanged.
  real runs   default and -m for real: the bucket afterwards holds exactly
              what should stay (no wrong deletion, no dangling layer link, a
              sibling prefix `ROOT.old` untouched), every tag still pulls
              through the registry (skopeo copy to dir:), distribution's dry
              run finds nothing more to delete, a second dry run neither.
  proxy       the same dry runs through s3_proxy.py (20 ms a request): the
              same answers; request counts printed.
  faults      real runs through the proxy with faults: 503 SlowDown and 500
              bursts, steady SlowDown, dropped connections, truncated bodies,
              wrong Content-Lengths, a stalled answer, DeleteObjects whose
              answer is lost after the server did it: regsweep either gets
              the right answer or exits non-zero having deleted nothing it
              should not (nothing at all unless the proxy passed deletes);
              then a clean run converges. A persistent 403 and a 403 on
              deletes only: non-zero, AccessDenied named, nothing deleted.
  lock        the run lock on S3: a lock another host holds stops a real
              run with exit 4 and nothing changed (so the gateway honours
              If-None-Match: *); a real run then takes and removes its own.
  quarantine  a real run moves into the quarantine (every key removed has
              a whole copy there); `restore latest` gives every key back
              with its ETag; --quarantine-for 0 purges.
  gen_store   a `gen_store --sample` store loaded with s3_load.py: default
              dry run == distribution's; -m eligible within distribution's.

Usage (as ctest runs it):
  test_s3_registry.py --regsweep PATH --gen-store PATH [--keep]
      [--distribution-only]
      [--parts oracle,dry,real,proxy,faults,lock,quarantine,gen]
--distribution-only checks only the harness and distribution's side.
Exit status 0 only if every check passed; the last line is `N passed, N failed`.
"""

import argparse
import json
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import registry_harness as rh  # noqa: E402
import rgw  # noqa: E402
import s3_load  # noqa: E402
from oci_layouts import MT_INDEX, MT_MANIFEST, build_reference_store  # noqa: E402
from s3_proxy import S3Proxy  # noqa: E402

PARTS = ("oracle", "dry", "real", "proxy", "faults", "lock", "quarantine",
         "gen")
# How long the `slow` fault holds an answer: longer than regsweep's stall
# timeout (storage/s3/http_client.h: 30 s without a byte).
SLOW_SECONDS = float(os.environ.get("REGSWEEP_S3_TEST_SLOW_SECONDS", "35"))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--regsweep", required=True)
    p.add_argument("--gen-store", default=None)
    p.add_argument("--keep", action="store_true",
                   help="keep the temporary directory (and the daemons' "
                        "logs)")
    p.add_argument("--distribution-only", action="store_true",
                   help="only the harness and distribution's side")
    p.add_argument("--parts", default=",".join(PARTS),
                   help="comma-separated subset of " + ",".join(PARTS))
    args = p.parse_args(argv)
    args.parts = [x for x in args.parts.split(",") if x]
    bad = set(args.parts) - set(PARTS)
    if bad:
        p.error(f"unknown parts {sorted(bad)}")
    return args


# ---------------------------------------------------------------------------
# Context shared by the parts


class Ctx:
    def __init__(self, t, args, wd, gw):
        self.t, self.args, self.wd, self.gw = t, args, wd, gw
        self.client = gw.client()
        self.sc = None         # the Scenario pushed
        self.snap = None       # {relative key: bytes} of the pristine store
        self.pristine = None   # the S3Registry it was pushed through
        self.seq = 0

    def fresh_store(self, label):
        """A copy of the pristine store under a new root; its S3Registry."""
        self.seq += 1
        root = f"/stores/{self.seq:02d}-{label}"
        reg = rgw.S3Registry(self.wd, self.gw, root,
                             name=f"reg-{self.seq:02d}-{label}")
        rgw.restore(self.client, self.snap, reg.prefix)
        return reg

    def keys(self, reg):
        return self.client.keys(reg.prefix)


def regsweep_gc(ctx, reg, label, dry_run, untagged, endpoint=None):
    """`regsweep gc s3://BUCKET/ROOT --s3-endpoint E --s3-region R ...`"""
    extra = ["--s3-endpoint", endpoint or ctx.gw.endpoint,
             "--s3-region", ctx.gw.region]
    return rh.run_regsweep_gc(ctx.args.regsweep, reg.s3_url,
                              os.path.join(ctx.wd, label + ".json"),
                              dry_run=dry_run, delete_untagged=untagged,
                              extra=extra)


def expected_sets(sc, untagged):
    """(eligible blobs, eligible (repo, digest) revisions) for a mode."""
    all_blobs = sc.all_blobs()
    if not untagged:
        return all_blobs - sc.kept_default(), set()
    kept, kept_revs = sc.kept_regsweep_untagged()
    return all_blobs - kept, sc.untagged_revisions() - kept_revs


def allowed_deletions(keys, prefix, blobs, revs):
    """The keys a correct run may delete, given the eligible blobs and
    revisions: their data objects and revision links, the layer links of
    eligible blobs, the tag index entries of eligible manifests, uploads."""
    allowed = set()
    base = prefix + "docker/registry/v2/"
    for d in blobs:
        allowed.add(rgw.blob_data_key(prefix, d))
    for key in keys:
        if not key.startswith(base + "repositories/"):
            continue
        rest = key[len(base + "repositories/"):].split("/")
        for i, part in enumerate(rest):
            if part not in ("_manifests", "_layers", "_uploads"):
                continue
            repo, tail = "/".join(rest[:i]), rest[i + 1:]
            if part == "_uploads":
                allowed.add(key)
            elif part == "_layers" and len(tail) == 3:
                if f"{tail[0]}:{tail[1]}" in blobs:
                    allowed.add(key)
            elif (part == "_manifests" and len(tail) == 4
                  and tail[0] == "revisions"):
                if (repo, f"{tail[1]}:{tail[2]}") in revs:
                    allowed.add(key)
            elif (part == "_manifests" and len(tail) == 6
                  and tail[0] == "tags" and tail[2] == "index"):
                if (repo, f"{tail[3]}:{tail[4]}") in revs:
                    allowed.add(key)
            break
    return allowed


OWN_KEYS = "docker/registry/regsweep/"
QUARANTINE_KEYS = OWN_KEYS + "quarantine/"


def quarantined_sources(keys, prefix):
    """{registry key: size} of every key a quarantine holds a copy of:
    <prefix>docker/registry/regsweep/quarantine/RUN/v2/X is a copy of
    <prefix>docker/registry/v2/X (records are not copies)."""
    sources = {}
    for key, size in keys.items():
        if not key.startswith(prefix + QUARANTINE_KEYS):
            continue
        rest = key[len(prefix + QUARANTINE_KEYS):].split("/", 2)
        if len(rest) == 3 and rest[1] == "v2":
            sources[prefix + "docker/registry/v2/" + rest[2]] = size
    return sources


def check_bucket_after(t, label, sc, prefix, before, after, blobs, revs,
                       complete):
    """No wrong deletion; with `complete`, exactly the right ones."""
    own = prefix + OWN_KEYS
    registry_after = {k: v for k, v in after.items() if not k.startswith(own)}
    deleted = set(before) - set(registry_after)
    allowed = allowed_deletions(before, prefix, blobs, revs)
    t.check_sets(deleted - allowed, set(),
                 f"{label}: no key deleted that should stay", sc.names)
    t.check(set(registry_after) <= set(before),
            f"{label}: no key created in the registry's keys",
            f"{sorted(set(registry_after) - set(before))[:10]}")
    moved = quarantined_sources(after, prefix)
    t.check(all(before.get(src) == size for src, size in moved.items()),
            f"{label}: every key in the quarantine is a whole copy of one "
            f"that was there", f"{sorted(moved)[:5]}")
    t.check(deleted <= set(moved),
            f"{label}: every key removed is in the quarantine",
            f"{sorted(deleted - set(moved))[:10]}")
    if not complete:
        return deleted
    t.check_sets(rgw.blobs_in_keys(after, prefix),
                 rgw.blobs_in_keys(before, prefix) - blobs,
                 f"{label}: the blobs left are exactly those that stay",
                 sc.names)
    t.check_sets(rgw.revisions_in_keys(after, prefix),
                 rgw.revisions_in_keys(before, prefix) - revs,
                 f"{label}: the revisions left are exactly those that stay",
                 sc.names)
    t.check_sets(rgw.dangling_layer_links_in_keys(after, prefix), set(),
                 f"{label}: no layer link left pointing at a deleted blob",
                 sc.names)
    t.check(rgw.tags_in_keys(after, prefix) == rgw.tags_in_keys(before,
                                                                prefix),
            f"{label}: every tag is still there")
    return deleted


def report_ok(t, res, label, mode, dry_run):
    rep = res.report
    if not t.check(res.returncode == 0 and rep and "_json_error" not in rep,
                   f"{label}: exit 0 and a JSON report", res.describe()):
        return False
    t.check(rep.get("mode") == mode and rep.get("dry_run") is dry_run,
            f"{label}: mode {mode!r}, dry_run {dry_run}",
            f"got {rep.get('mode')!r}, {rep.get('dry_run')!r}")
    t.check(rep.get("fatal") is None and rep.get("problems") == [],
            f"{label}: no fatal error, no problems",
            f"fatal {rep.get('fatal')!r}, problems {rep.get('problems')!r}")
    return True


# ---------------------------------------------------------------------------
# Parts


def setup_store(ctx):
    t = ctx.t
    reg = rgw.S3Registry(ctx.wd, ctx.gw, "/stores/00-pristine",
                         name="reg-pristine")
    start = time.monotonic()
    with reg:
        ctx.sc = build_reference_store(reg, ctx.wd)
    print(f"pushed the reference store in {time.monotonic() - start:.1f} s",
          flush=True)
    keys = ctx.keys(reg)
    problems = rgw.check_store_matches_keys(ctx.sc, keys, reg.prefix)
    t.check(not problems, "the bucket holds exactly what was pushed",
            "\n".join(problems))
    t.check(all(k.startswith("stores/00-pristine/docker/registry/v2/")
                for k in keys) and keys,
            "every key is ROOT/docker/registry/v2/... (no leading slash)",
            f"{sorted(keys)[:5]}")
    ctx.pristine = reg
    ctx.snap = rgw.snapshot(ctx.client, reg.prefix)
    t.check(len(ctx.snap) == len(keys), "snapshot of the pristine store")


def part_oracle(ctx):
    t, sc, reg = ctx.t, ctx.sc, ctx.pristine
    all_blobs = sc.all_blobs()
    expected = all_blobs - sc.kept_default()
    dist = rgw.distribution_gc_s3(reg.config, dry_run=True)
    t.check_sets(dist.blobs_eligible, expected,
                 "oracle: distribution's eligible blobs on S3 match the "
                 "scenario", sc.names)
    t.check(dist.summary == (len(all_blobs) - len(expected), len(expected),
                             0),
            "oracle: distribution's summary counts match the scenario",
            f"got {dist.summary}")
    dist_m = rgw.distribution_gc_s3(reg.config, dry_run=True,
                                    delete_untagged=True)
    t.check_sets(dist_m.blobs_eligible,
                 all_blobs - sc.kept_distribution_untagged(),
                 "oracle: -m: distribution's eligible blobs match its model",
                 sc.names)
    t.check_sets(dist_m.manifest_digests,
                 {d for _, d in sc.untagged_revisions()},
                 "oracle: -m: distribution flags every untagged revision",
                 sc.names)
    children = {img.digest for _, img in sc.index_children}
    t.check(children <= dist_m.manifest_digests,
            "oracle: -m: distribution would delete the index children (its "
            "data-loss bug, on S3 too)")
    ctx.dist, ctx.dist_m = dist, dist_m


def _oracle(ctx):
    if not hasattr(ctx, "dist"):
        ctx.dist = rgw.distribution_gc_s3(ctx.pristine.config, dry_run=True)
    return ctx.dist


def check_dry_runs(ctx, reg, label, endpoint=None):
    """Both dry runs on `reg` (a pristine copy); returns the results."""
    t, sc = ctx.t, ctx.sc
    dist = _oracle(ctx)
    before = ctx.keys(reg)
    sizes = rgw.blob_sizes_in_keys(before, reg.prefix)
    out = {}
    res = regsweep_gc(ctx, reg, f"{label}-default", True, False, endpoint)
    out["default"] = res
    if report_ok(t, res, f"{label}: default dry run", "default", True):
        rep = res.report
        t.check_sets(res.blobs_eligible, dist.blobs_eligible,
                     f"{label}: default: eligible blobs == distribution's",
                     sc.names)
        t.check_sets(res.manifests_eligible, set(),
                     f"{label}: default: no manifest eligible", sc.names)
        t.check(rep.get("blobs_marked") == dist.marked,
                f"{label}: default: blobs_marked == distribution's",
                f"regsweep {rep.get('blobs_marked')}, distribution "
                f"{dist.marked}")
        want = sum(sizes.get(d, 0) for d in dist.blobs_eligible)
        t.check(rep.get("bytes_eligible") == want,
                f"{label}: default: bytes_eligible == the listed sizes",
                f"regsweep {rep.get('bytes_eligible')}, listed {want}")
        t.check((rep.get("blobs_deleted"), rep.get("manifests_deleted"),
                 rep.get("bytes_deleted")) == (0, 0, 0),
                f"{label}: default: dry run reports nothing deleted")
    res = regsweep_gc(ctx, reg, f"{label}-m", True, True, endpoint)
    out["m"] = res
    want_blobs, want_revs = expected_sets(sc, True)
    if report_ok(t, res, f"{label}: -m dry run", "delete-untagged", True):
        rep = res.report
        t.check_sets(res.blobs_eligible, want_blobs,
                     f"{label}: -m: eligible blobs == distribution's minus "
                     f"index children and referrer chains", sc.names)
        t.check_sets(res.manifests_eligible, want_revs,
                     f"{label}: -m: eligible manifests == untagged images "
                     f"and their referrers only", sc.names)
        t.check(not ({(r, i.digest) for r, i in sc.index_children}
                     & res.manifests_eligible),
                f"{label}: -m: no index child is eligible")
        want = sum(sizes.get(d, 0) for d in want_blobs)
        t.check(rep.get("bytes_eligible") == want,
                f"{label}: -m: bytes_eligible == the listed sizes",
                f"regsweep {rep.get('bytes_eligible')}, listed {want}")
    t.check(ctx.keys(reg) == before, f"{label}: the dry runs changed "
            "nothing in the bucket")
    return out


def part_dry(ctx):
    check_dry_runs(ctx, ctx.fresh_store("dry"), "dry")


def pull_everything(ctx, reg, label, removed_revs):
    t, sc = ctx.t, ctx.sc
    with reg:
        for (repo, tag), img in sorted(sc.tagged.items()):
            dest = os.path.join(ctx.wd, "pull", label, repo, tag)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            is_index = img.media_type == MT_INDEX
            proc = reg.pull_dir(repo, tag, dest, all_images=is_index)
            t.check(proc.returncode == 0,
                    f"{label}: skopeo pulls {repo}:{tag}"
                    + (" --all" if is_index else ""), proc.stderr[-3000:])
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
            else:
                t.check(status == 200 and body == img.data,
                        f"{label}: referrer {img.name} GETs by digest",
                        f"HTTP {status}")


def part_real(ctx):
    t, sc = ctx.t, ctx.sc
    for untagged in (False, True):
        label = "real -m" if untagged else "real default"
        reg = ctx.fresh_store("real-m" if untagged else "real-default")
        decoy = None
        if not untagged:
            # A sibling whose root extends this one's: must not be touched.
            decoy = reg.prefix.rstrip("/") + ".old/"
            rgw.restore(ctx.client, ctx.snap, decoy)
            decoy_before = ctx.client.keys(decoy)
        want_blobs, want_revs = expected_sets(sc, untagged)
        before = ctx.keys(reg)
        sizes = rgw.blob_sizes_in_keys(before, reg.prefix)
        res = regsweep_gc(ctx, reg, label.replace(" ", "-"), False, untagged)
        if not report_ok(t, res, f"{label}: regsweep gc",
                         "delete-untagged" if untagged else "default", False):
            continue
        rep = res.report
        t.check_sets(res.blobs_eligible, want_blobs,
                     f"{label}: eligible blobs match the scenario", sc.names)
        t.check_sets(res.manifests_eligible, want_revs,
                     f"{label}: eligible manifests match the scenario",
                     sc.names)
        want_bytes = sum(sizes.get(d, 0) for d in want_blobs)
        t.check((rep.get("blobs_deleted"), rep.get("manifests_deleted"),
                 rep.get("bytes_deleted"))
                == (len(want_blobs), len(want_revs), want_bytes),
                f"{label}: deleted counts and bytes",
                f"got ({rep.get('blobs_deleted')}, "
                f"{rep.get('manifests_deleted')}, {rep.get('bytes_deleted')})"
                f", expected ({len(want_blobs)}, {len(want_revs)}, "
                f"{want_bytes})")
        after = ctx.keys(reg)
        check_bucket_after(t, label, sc, reg.prefix, before, after,
                           want_blobs, want_revs, complete=True)
        if decoy:
            t.check(ctx.client.keys(decoy) == decoy_before,
                    f"{label}: the sibling prefix {decoy} is untouched")
        pull_everything(ctx, reg, label, want_revs)
        dist = rgw.distribution_gc_s3(reg.config, dry_run=True)
        t.check(dist.blobs_eligible == set() and dist.summary[1:] == (0, 0),
                f"{label}: distribution's dry run finds nothing more to "
                f"delete", f"{dist.summary} {sorted(dist.blobs_eligible)}")
        if untagged:
            dist_m = rgw.distribution_gc_s3(reg.config, dry_run=True,
                                            delete_untagged=True)
            kept, kept_revs = sc.kept_regsweep_untagged()
            on_purpose = kept - sc.kept_distribution_untagged()
            t.check_sets(dist_m.blobs_eligible, on_purpose,
                         f"{label}: distribution -m still wants exactly the "
                         f"blobs kept on purpose", sc.names)
        again = regsweep_gc(ctx, reg, label.replace(" ", "-") + "-again",
                            True, untagged)
        t.check(again.returncode == 0 and again.blobs_eligible == set()
                and again.manifests_eligible == set(),
                f"{label}: a second regsweep dry run finds nothing more",
                again.describe())


def part_proxy(ctx):
    t = ctx.t
    reg = ctx.fresh_store("proxy")
    with S3Proxy(ctx.gw.endpoint, delay_ms=20) as proxy:
        start = time.monotonic()
        check_dry_runs(ctx, reg, "proxy", endpoint=proxy.url)
        counts = proxy.counts()
    print(f"proxy: two dry runs through a 20 ms proxy in "
          f"{time.monotonic() - start:.1f} s; requests {counts['requests']}"
          f", statuses {counts['status']}, connections "
          f"{counts['client_connections']}", flush=True)
    t.check(counts["total_requests"] > 0,
            "proxy: regsweep's requests went through the proxy")
    t.check(counts["requests"]["put"] == 0
            and counts["requests"]["delete"] == 0
            and counts["requests"]["delete_objects"] == 0,
            "proxy: a dry run sends no PUT, DELETE or DeleteObjects",
            f"{counts['requests']}")


# (name, -m?, faults [(fault, FaultRule options)], None or the strings of
# which a failure must name one: the run must then fail and delete nothing).
# Without such strings a run may succeed (then with exactly the right
# answer) or fail (then having deleted nothing it should not, and nothing
# at all unless a delete request reached the server).
FAULT_SCENARIOS = [
    ("503-burst", False, [("slowdown", dict(start=3, count=5))], None),
    ("500-burst", True, [("error500", dict(start=10, count=4))], None),
    ("slowdown-steady", True,
     [("slowdown", dict(probability=0.2, seed=5))], None),
    ("dropped", False, [("drop_before", dict(probability=0.05, seed=1)),
                        ("drop_after", dict(probability=0.05, seed=2))],
     None),
    ("truncated", True, [("truncate", dict(probability=0.08, seed=3,
                                           kinds=("get", "list")))], None),
    ("wrong-length", False,
     [("wrong_length", dict(probability=0.08, seed=4,
                            kinds=("get", "list", "head")))], None),
    ("lost-delete-answer", True,
     [("error500", dict(count=1, forwarded=True,
                        kinds=("delete_objects", "delete")))], None),
    ("stalled", False, [("slow", dict(start=2, count=1,
                                      seconds=SLOW_SECONDS))], None),
    # A HEAD's 403 has no body, hence no S3 error code: "403" will do when
    # the first request refused is one (regsweep starts with a HEAD).
    ("forbidden", True, [("forbidden", {})], ("AccessDenied", "403")),
    ("forbidden-deletes", True,
     [("forbidden", dict(kinds=("delete_objects", "delete")))],
     ("AccessDenied",)),
]


def part_faults(ctx):
    t, sc = ctx.t, ctx.sc
    for name, untagged, faults, must_fail in FAULT_SCENARIOS:
        label = f"fault {name}" + (" -m" if untagged else "")
        try:
            one_fault_scenario(ctx, label, name, untagged, faults, must_fail)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception:
            t.crash(label)


def one_fault_scenario(ctx, label, name, untagged, faults, must_fail):
    t, sc = ctx.t, ctx.sc
    reg = ctx.fresh_store("fault-" + name)
    want_blobs, want_revs = expected_sets(sc, untagged)
    before = ctx.keys(reg)
    with S3Proxy(ctx.gw.endpoint, delay_ms=5) as proxy:
        for fault, kw in faults:
            proxy.add_fault(fault, **kw)
        start = time.monotonic()
        res = regsweep_gc(ctx, reg, "fault-" + name, False, untagged,
                          endpoint=proxy.url)
        seconds = time.monotonic() - start
        counts = proxy.counts()
    after = ctx.keys(reg)
    print(f"{label}: exit {res.returncode} in {seconds:.1f} s; faults "
          f"{counts['faults']}; requests {counts['requests']}", flush=True)
    t.check(sum(counts["faults"].values()) > 0,
            f"{label}: the proxy injected faults", f"{counts}")
    deletes_passed = (counts["forwarded"]["delete_objects"]
                      + counts["forwarded"]["delete"]) > 0
    if must_fail:
        text = (res.stdout + res.stderr + str(res.report.get("fatal"))
                + str(res.report.get("fatal_errors"))
                + str(res.report.get("errors")))
        t.check(res.returncode != 0, f"{label}: regsweep exits non-zero",
                res.describe())
        t.check(any(m in text for m in must_fail),
                f"{label}: the failure names {' or '.join(must_fail)}",
                res.describe())
        # regsweep's own lock stays where deletes are refused (the next
        # run on this host takes it over): only the registry's keys count.
        own = reg.prefix + "docker/registry/regsweep/"
        t.check({k for k in after if not k.startswith(own)} == set(before),
                f"{label}: nothing deleted",
                f"{sorted(set(before) - set(after))[:10]}")
        if name == "forbidden":
            # Refused from the first request, the run's lock: exit 2 (it
            # cannot start), naming the permission it needs.
            t.check(res.returncode == 2 and "s3:PutObject" in res.stderr,
                    f"{label}: exit 2 naming s3:PutObject (for the lock)",
                    res.describe())
    elif res.returncode == 0:
        rep = res.report
        t.check(rep.get("fatal") is None and rep.get("dry_run") is False,
                f"{label}: succeeded: a real run without fatal errors",
                res.describe())
        t.check_sets(res.blobs_eligible, want_blobs,
                     f"{label}: succeeded: eligible blobs are the right ones",
                     sc.names)
        t.check_sets(res.manifests_eligible, want_revs,
                     f"{label}: succeeded: eligible manifests are the right "
                     f"ones", sc.names)
        check_bucket_after(t, label, sc, reg.prefix, before, after,
                           want_blobs, want_revs, complete=True)
        return
    else:
        deleted = check_bucket_after(t, label + " (failed run)", sc,
                                     reg.prefix, before, after, want_blobs,
                                     want_revs, complete=False)
        t.check(deletes_passed or not deleted,
                f"{label}: failed before deleting: nothing deleted",
                f"{sorted(deleted)[:10]}")
        print(f"{label}: regsweep failed ({res.returncode}); "
              f"{len(deleted)} keys deleted before that; stderr tail:\n"
              f"{res.stderr[-800:]}", flush=True)
    # Without faults, a rerun converges to the right answer.
    res = regsweep_gc(ctx, reg, "fault-" + name + "-rerun", False, untagged)
    t.check(res.returncode == 0, f"{label}: a rerun without faults exits 0",
            res.describe())
    check_bucket_after(t, label + " rerun", sc, reg.prefix, before,
                       ctx.keys(reg), want_blobs, want_revs, complete=True)


FOREIGN_LOCK = """regsweep run lock 1
pid 4242
host another-host
pid_namespace pid:[1]
boot_id 00000000-0000-0000-0000-000000000000
process_start 1
started 2026-12-07T17:00:00Z
token 0123456789abcdef0123456789abcdef
command regsweep gc s3://elsewhere -m
"""


def part_lock(ctx):
    t = ctx.t
    reg = ctx.fresh_store("lock")
    lock_key = reg.prefix + "docker/registry/regsweep/lock"
    ctx.client.put_object(lock_key, FOREIGN_LOCK.encode())
    before = ctx.keys(reg)
    res = regsweep_gc(ctx, reg, "lock-held", False, True)
    t.check(res.returncode == 4 and "another-host" in res.stderr
            and "regsweep gc s3://elsewhere -m" in res.stderr,
            "lock: a real run while another host holds the lock exits 4 "
            "naming the holder", res.describe())
    t.check(ctx.keys(reg) == before
            and ctx.client.get_object(lock_key) == FOREIGN_LOCK.encode(),
            "lock: nothing changed, the other host's lock is intact")
    dry = regsweep_gc(ctx, reg, "lock-dry", True, True)
    t.check(dry.returncode == 0 and dry.blobs_eligible,
            "lock: a dry run needs no lock", dry.describe())
    ctx.client.delete_object(lock_key)
    real = regsweep_gc(ctx, reg, "lock-free", False, True)
    t.check(real.returncode == 0 and real.report.get("blobs_deleted", 0) > 0,
            "lock: with the lock gone a real run deletes", real.describe())
    t.check(not any(k.startswith(reg.prefix + OWN_KEYS + "lock")
                    for k in ctx.keys(reg)),
            "lock: the run removed its own lock and left no takeover key")


def regsweep_s3(ctx, args):
    """Any regsweep command on the gateway: args with the store's URL."""
    cmd = [ctx.args.regsweep] + args + ["--s3-endpoint", ctx.gw.endpoint,
                                        "--s3-region", ctx.gw.region]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                          env=ctx.gw.aws_env())


def part_quarantine(ctx):
    """A real run on the gateway quarantines (server-side copies, then
    deletes), `restore` puts every key back with its bytes, a run with
    --quarantine-for 0 purges."""
    t = ctx.t
    reg = ctx.fresh_store("quarantine")
    before = {k: e for k, _, e in ctx.client.list_objects(reg.prefix)}
    real = regsweep_gc(ctx, reg, "quarantine-real", False, True)
    run = (real.report.get("quarantine") or {}).get("run")
    t.check(real.returncode == 0 and run
            and real.report.get("blobs_deleted", 0) > 0,
            "quarantine: a real -m run on the gateway moves into a run",
            real.describe())
    ls = regsweep_s3(ctx, ["quarantine", "ls", reg.s3_url, "--json", "-"])
    runs = json.loads(ls.stdout).get("runs", []) if ls.returncode == 0 else []
    t.check(len(runs) == 1 and runs[0]["run"] == run
            and runs[0]["blobs"] == real.report.get("blobs_deleted"),
            "quarantine ls on S3: the run, with the report's blob count",
            f"exit {ls.returncode}: {ls.stdout[-500:]} {ls.stderr[-500:]}")
    restore = regsweep_s3(ctx, ["restore", reg.s3_url, "latest"])
    after = {k: e for k, _, e in ctx.client.list_objects(reg.prefix)}
    t.check(restore.returncode == 0,
            "restore latest on S3: exit 0",
            f"exit {restore.returncode}: {restore.stdout} {restore.stderr}")
    t.check_sets(set(after.items()), set(before.items()),
                 "restore latest on S3: every key back with its ETag, the "
                 "quarantine gone", {})
    regsweep_gc(ctx, reg, "quarantine-again", False, True)
    purge = regsweep_s3(ctx, ["gc", reg.s3_url, "--quarantine-for", "0",
                              "-q"])
    t.check(purge.returncode == 0 and not any(
        k.startswith(reg.prefix + QUARANTINE_KEYS) for k in ctx.keys(reg)),
            "quarantine on S3: a run with --quarantine-for 0 purges it",
            f"exit {purge.returncode}: {purge.stderr[-500:]}")


def part_gen(ctx):
    t, args = ctx.t, ctx.args
    if not args.gen_store or not os.access(args.gen_store, os.X_OK):
        t.check(False, f"gen_store binary {args.gen_store} is executable")
        return
    store = os.path.join(ctx.wd, "gen-store")
    rh.run([args.gen_store, "--root", store, "--sample", "--seed", "7"],
           timeout=300)
    reg = rgw.S3Registry(ctx.wd, ctx.gw, "/stores/gen", name="reg-gen")
    stats = s3_load.upload_store(ctx.client, store, reg.rootdirectory,
                                 threads=16, progress=False)
    print(f"gen: loaded {stats}", flush=True)
    files = {rel for rel, _ in s3_load.store_files(store)}
    keys = ctx.keys(reg)
    t.check({reg.prefix + rel for rel in files} == set(keys),
            "gen: s3_load put every file of the store, nothing else")
    dist = rgw.distribution_gc_s3(reg.config, dry_run=True)
    local = rh.distribution_gc(_local_config(ctx, store), dry_run=True)
    t.check(dist.blobs_eligible == local.blobs_eligible
            and dist.summary == local.summary,
            "gen: distribution finds the same on S3 as on the filesystem",
            f"S3 {dist.summary}, filesystem {local.summary}")
    if args.distribution_only:
        return
    res = regsweep_gc(ctx, reg, "gen-default", True, False)
    if report_ok(t, res, "gen: default dry run", "default", True):
        t.check_sets(res.blobs_eligible, dist.blobs_eligible,
                     "gen: default: eligible blobs == distribution's")
        t.check(res.report.get("blobs_marked") == dist.marked,
                "gen: default: blobs_marked == distribution's",
                f"{res.report.get('blobs_marked')} vs {dist.marked}")
    dist_m = rgw.distribution_gc_s3(reg.config, dry_run=True,
                                    delete_untagged=True)
    res = regsweep_gc(ctx, reg, "gen-m", True, True)
    if report_ok(t, res, "gen: -m dry run", "delete-untagged", True):
        t.check_sets(res.blobs_eligible - dist_m.blobs_eligible, set(),
                     "gen: -m: every blob regsweep would delete, "
                     "distribution would too")
    fs = rh.run_regsweep_gc(args.regsweep, store,
                            os.path.join(ctx.wd, "gen-fs.json"),
                            dry_run=True, delete_untagged=True)
    t.check(fs.returncode == 0 and res.returncode == 0
            and fs.blobs_eligible == res.blobs_eligible
            and fs.manifests_eligible == res.manifests_eligible,
            "gen: -m: the same answer on S3 as on the filesystem",
            fs.describe())


def _local_config(ctx, store):
    path = os.path.join(ctx.wd, "gen-local.yml")
    with open(path, "w") as f:
        f.write(rh.CONFIG_TEMPLATE.format(root=store, port=rh.free_port()))
    return path


# ---------------------------------------------------------------------------


def main(argv):
    args = parse_args(argv[1:])
    rh.install_signal_handlers()
    t = rh.TestRun("s3_registry")
    parts = {"oracle": part_oracle, "dry": part_dry, "real": part_real,
             "proxy": part_proxy, "faults": part_faults, "lock": part_lock,
             "quarantine": part_quarantine, "gen": part_gen}
    regsweep_parts = {"dry", "real", "proxy", "faults", "lock", "quarantine"}
    try:
        rh.require_tools()
        if not args.distribution_only and not os.access(args.regsweep,
                                                        os.X_OK):
            t.check(False, f"regsweep binary {args.regsweep} is executable")
        with rh.TempDir("regsweep-s3-", keep=args.keep) as wd:
            gw = rgw.RadosGateway(os.path.join(wd, "rgw"), keep=args.keep)
            os.makedirs(gw.workdir, exist_ok=True)
            with gw:
                print(f"gateway {gw.endpoint} up in "
                      f"{gw.startup_seconds:.1f} s {gw.timings}", flush=True)
                # regsweep reads its keys from the environment;
                # S3Registry and distribution_gc_s3 leave them out of the
                # registry's.
                env = gw.aws_env()
                os.environ.clear()
                os.environ.update(env)
                ctx = Ctx(t, args, wd, gw)
                setup_store(ctx)
                for name in args.parts:
                    if args.distribution_only and name in regsweep_parts:
                        continue
                    start = time.monotonic()
                    try:
                        parts[name](ctx)
                    except (KeyboardInterrupt, SystemExit):
                        raise
                    except Exception:
                        t.crash(f"part {name}")
                    finally:
                        rh.stop_all_registries()
                    print(f"part {name}: {time.monotonic() - start:.1f} s",
                          flush=True)
                if t.failed and args.keep:
                    print(f"gateway logs in {gw.log_dir}", flush=True)
    except KeyboardInterrupt as e:
        t.check(False, f"interrupted ({e})")
    except Exception:
        t.crash("setup")
    finally:
        rh.stop_all_registries()
        rgw.stop_all_gateways()
    return t.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
