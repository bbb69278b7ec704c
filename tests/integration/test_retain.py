#!/usr/bin/env python3
"""Retention policies against the real registry (issue 6).

A store is pushed with skopeo through docker-registry, then the push time of
every tag (the modification time of its current link) is set to a known
number of days ago:

  team/app     latest 1d, b6 1d (10 s earlier), b5 5d, b4 20d, b3 40d,
               b2 60d (with a signature referrer), b1 90d, release-1 100d
  team/tool    2.0 3d, 1.1 100d, 1.0 200d, 0.9 300d
  team/x/deep  old 365d          ("team/*" does not cover it)
  base         old 500d, new 1d  (no rule covers it)

The policy file:
  - repo: "team/*", keep_last: 2, keep_tag: [latest, release-.*],
    older_than: 30d
  - repo: team/tool, keep_tag: '1\\.0'
removes team/app b1, b2, b3 and team/tool 0.9. The same rule given as
flags (without the second rule) also removes team/tool 1.0.

Checked: the dry run's log lines and JSON, that a dry run changes nothing,
that `--dry-run --then-gc` predicts exactly what the real run frees, bad
policies refused with nothing removed, the real `retain --then-gc`, pulls
of every remaining tag, 404 for the removed ones, and that a second run
finds nothing more.

Usage (as ctest runs it): test_retain.py --regsweep PATH --gen-store X
Exit status 0 only if every check passed; the last line is `N passed, N failed`.
"""

import os
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import registry_harness as rh  # noqa: E402
from oci_layouts import Layer  # noqa: E402
from test_tags import (Pusher, check_removed_tags_gone,  # noqa: E402
                       expected_after_removal, load_json, log_lines,
                       pull_tags, run_regsweep, state, tag_link)

DAY = 86400

PUSH_DAYS = {
    ("team/app", "latest"): 1, ("team/app", "b6"): 1 + 10 / DAY,
    ("team/app", "b5"): 5, ("team/app", "b4"): 20, ("team/app", "b3"): 40,
    ("team/app", "b2"): 60, ("team/app", "b1"): 90,
    ("team/app", "release-1"): 100,
    ("team/tool", "2.0"): 3, ("team/tool", "1.1"): 100,
    ("team/tool", "1.0"): 200, ("team/tool", "0.9"): 300,
    ("team/x/deep", "old"): 365,
    ("base", "old"): 500, ("base", "new"): 1,
}

POLICY = """\
# Keep the last two builds, releases and latest, and a month of history.
rules:
  - repo: "team/*"
    keep_last: 2
    keep-tag: [latest, 'release-.*']
    older_than: 30d
  - repo: team/tool
    keep_tag: '1\\.0'
"""

BY_POLICY = [("team/app", "b1"), ("team/app", "b2"), ("team/app", "b3"),
             ("team/tool", "0.9")]
BY_FLAGS = sorted(BY_POLICY + [("team/tool", "1.0")])
FLAGS = ["--repo", "team/*", "--keep-last", "2", "--keep-tag", "latest",
         "--keep-tag", "release-.*", "--older-than", "30d"]

BAD_POLICIES = {
    "unknown key": ("rules:\n  - repo: app\n    keep_lats: 3\n", "keep_lats"),
    "no keep condition": ("rules:\n  - repo: app\n", "every tag"),
    "no rules": ("rules: []\n", "rules"),
    "bad regex": ("rules:\n  - repo: app\n    keep_tag: 'v(1'\n", "v(1"),
    "bad duration": ("rules:\n  - repo: app\n    older_than: soon\n",
                     "soon"),
    "not YAML": ("rules: [\n", "YAML"),
    "keep_last 0": ("rules:\n  - repo: app\n    keep_last: 0\n", "keep-last"),
}


def build(reg, wd):
    p = Pusher(reg, wd)
    base = Layer("base")
    app = {}
    for n in range(1, 7):
        app[n] = p.image(f"app-b{n}", [base, Layer(f"app-b{n}")])
        p.push(app[n], "team/app", f"b{n}")
    p.push(app[6], "team/app", "latest")
    p.push(p.image("app-r1", [base, Layer("app-r1")]), "team/app",
           "release-1")
    p.referrer("team/app", "app-b2-sig", app[2][1])
    for v in ("0.9", "1.0", "1.1", "2.0"):
        p.push(p.image(f"tool-{v}", [base, Layer(f"tool-{v}")]), "team/tool",
               v)
    p.push(p.image("deep-old", [Layer("deep-old")]), "team/x/deep", "old")
    p.push(p.image("base-old", [base]), "base", "old")
    p.push(p.image("base-new", [base, Layer("base-new")]), "base", "new")
    return p.sc


def set_push_times(root):
    now = time.time()
    for (repo, tag), days in PUSH_DAYS.items():
        t = now - days * DAY
        os.utime(tag_link(root, repo, tag), (t, t))


def removed_in(report):
    return sorted((e["repository"], e["tag"])
                  for e in report.get("removed", []))


def check_dry_runs(t, rs, root, sc, wd):
    before = state(root)
    policy = os.path.join(wd, "policy.yml")
    with open(policy, "w") as f:
        f.write(POLICY)
    out = os.path.join(wd, "dry.json")
    proc = run_regsweep(rs, "retain", root, "--policy", policy, "--dry-run",
                        "--json", out, "-v")
    report = load_json(out)
    t.check(proc.returncode == 0 and report.get("dry_run") is True,
            "retain --policy --dry-run exits 0", proc.stdout + proc.stderr)
    t.check(removed_in(report) == BY_POLICY,
            "the policy selects team/app b1, b2, b3 and team/tool 0.9",
            f"got {removed_in(report)}")
    t.check(sorted((r, g) for v, r, g, _, _ in log_lines(proc.stdout)
                   if v == "would remove") == BY_POLICY,
            "one 'would remove tag' line per selected tag", proc.stdout)
    t.check(all(e["digest"] == sc.tagged[(e["repository"], e["tag"])].digest
                and e["pushed"] for e in report.get("removed", [])),
            "the JSON gives each tag's digest and push time")
    verbose = proc.stdout
    t.check("team/app:latest: kept: one of the 2 most recently pushed"
            in verbose and "team/app:release-1: kept: matches keep-tag"
            in verbose and "team/app:b4: kept: pushed within older-than"
            in verbose and "team/tool:1.0: kept: matches keep-tag" in verbose
            and "base:" not in verbose and "team/x/deep:" not in verbose,
            "-v says why each tag of a covered repository is kept", verbose)
    t.check(state(root) == before, "retain --dry-run changes nothing")

    out = os.path.join(wd, "dry-flags.json")
    proc = run_regsweep(rs, "retain", root, *FLAGS, "--dry-run", "--json",
                        out)
    t.check(proc.returncode == 0 and removed_in(load_json(out)) == BY_FLAGS,
            "the same rule as flags (no team/tool rule) also selects "
            "team/tool 1.0", f"{proc.stderr}\ngot {removed_in(load_json(out))}")

    out = os.path.join(wd, "dry-gc.json")
    proc = run_regsweep(rs, "retain", root, "--policy", policy, "--dry-run",
                        "--then-gc", "--grace", "0", "--json", out)
    report = load_json(out)
    gc = report.get("gc") or {}
    t.check(proc.returncode == 0 and gc.get("dry_run") is True
            and gc.get("mode") == "delete-untagged",
            "retain --dry-run --then-gc runs a dry delete-untagged gc",
            proc.stdout + proc.stderr)
    t.check(state(root) == before, "... and changes nothing")
    return policy, gc


def check_refusals(t, rs, root, wd):
    before = state(root)
    for name, (text, needle) in BAD_POLICIES.items():
        path = os.path.join(wd, name.replace(" ", "-") + ".yml")
        with open(path, "w") as f:
            f.write(text)
        proc = run_regsweep(rs, "retain", root, "--policy", path)
        t.check(proc.returncode == 2 and needle in proc.stderr,
                f"a policy with {name} is refused (exit 2, says why)",
                f"exit {proc.returncode}\n{proc.stderr}")
    for args, what in ((["--keep-last", "3"], "a rule without --repo"),
                       ([], "no rule at all"),
                       (["--repo", "**"], "a rule that keeps nothing"),
                       (["--repo", "**", "--older-than", "4x"],
                        "a bad --older-than"),
                       (FLAGS + ["--then-gc", "--grace", "x"], "a bad --grace"),
                       (["--policy", os.path.join(wd, "missing.yml")],
                        "a missing policy file")):
        proc = run_regsweep(rs, "retain", root, *args)
        t.check(proc.returncode == 2, f"retain with {what}: exit 2",
                f"exit {proc.returncode}\n{proc.stderr}")
    t.check(state(root) == before, "refused runs changed nothing")


def check_real_run(t, rs, reg, sc, wd, policy, predicted_gc):
    before_blobs, before_revs, before_tags = state(reg.root)
    out = os.path.join(wd, "real.json")
    proc = run_regsweep(rs, "retain", reg.root, "--policy", policy,
                        "--then-gc", "--grace", "0", "--json", out)
    report = load_json(out)
    gc = report.get("gc") or {}
    t.check(proc.returncode == 0 and report.get("dry_run") is False
            and gc.get("dry_run") is False and gc.get("problems") == [],
            "retain --policy --then-gc exits 0, gc ran for real",
            proc.stdout + proc.stderr)
    t.check(removed_in(report) == BY_POLICY
            and sorted((r, g) for v, r, g, _, _ in log_lines(proc.stdout)
                       if v == "removed") == BY_POLICY,
            "it removed exactly the tags the dry run listed, one log line "
            "each", proc.stdout)
    for key in BY_POLICY:
        del sc.tagged[key]
    after_blobs, after_revs, after_tags = state(reg.root)
    t.check(after_tags == {k: v for k, v in before_tags.items()
                           if k not in BY_POLICY},
            "every other tag is still there")
    want_blobs, want_revs = expected_after_removal(sc)
    got_revs = {(m["repository"], m["digest"])
                for m in gc.get("manifests_eligible", [])}
    t.check_sets(got_revs, want_revs, "gc deleted exactly the manifests no "
                 "remaining tag reaches (b1, b2, its signature, b3, tool 0.9)",
                 sc.names)
    t.check_sets(set(gc.get("blobs_eligible", [])), want_blobs,
                 "gc freed exactly their own blobs", sc.names)
    t.check(set(gc.get("blobs_eligible", [])) ==
            set(predicted_gc.get("blobs_eligible", []))
            and gc.get("manifests_eligible") ==
            predicted_gc.get("manifests_eligible"),
            "--dry-run --then-gc predicted exactly what the real run freed")
    t.check(after_blobs == before_blobs - want_blobs
            and after_revs == before_revs - want_revs,
            "the disk agrees with the report")


def main(argv):
    args = rh.parse_args(argv[1:], __doc__)
    rh.install_signal_handlers()
    t = rh.TestRun("retain")
    try:
        rh.require_tools()
        rs = args.regsweep
        with rh.TempDir("regsweep-retain-", keep=args.keep) as wd:
            reg = rh.Registry(wd, name="retain")
            with reg:
                sc = build(reg, wd)
            set_push_times(reg.root)
            policy, predicted = check_dry_runs(t, rs, reg.root, sc, wd)
            check_refusals(t, rs, reg.root, wd)
            check_real_run(t, rs, reg, sc, wd, policy, predicted)
            with reg:
                pull_tags(t, reg, sc, wd, "after retain")
                check_removed_tags_gone(t, reg, BY_POLICY, "after retain")
            out = os.path.join(wd, "again.json")
            proc = run_regsweep(rs, "retain", reg.root, "--policy", policy,
                                "--dry-run", "--json", out)
            t.check(proc.returncode == 0 and removed_in(load_json(out)) == [],
                    "a second run finds nothing more to remove", proc.stdout)
    except KeyboardInterrupt as e:
        t.check(False, f"interrupted ({e})")
    except Exception:
        t.crash("retain")
    finally:
        rh.stop_all_registries()
    return t.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
