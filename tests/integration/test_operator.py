#!/usr/bin/env python3
"""What an operator replacing `registry garbage-collect` trips over: a run
refuses before it deletes anything when it cannot write what it was asked to
write or may not delete, says so once, and a store grown onto another disk
through symbolic links is collected; two real runs at once, a run
killed while it holds the store's lock, and a run undone from its
quarantine.

Run by ctest as: python3 test_operator.py --regsweep PATH --gen-store PATH
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from registry_harness import TestRun  # noqa: E402
from test_cli import V2, MiniStore  # noqa: E402

UNWRITABLE = "/proc/regsweep-report.json"  # no one may create files there


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def fresh_store(wd, name):
    """A store with a tagged-less image and one orphan blob."""
    store = MiniStore(os.path.join(wd, name))
    store.image("app", "layer")
    orphan = store.blob("orphan")
    return store, orphan


def count_blobs(store):
    n = 0
    for _, _, files in os.walk(os.path.join(store.root, V2, "blobs")):
        n += files.count("data")
    return n


def unwritable_report(t, rs, wd):
    """Every command that writes a report checks it first."""
    store, _ = fresh_store(wd, "report")
    before = count_blobs(store)
    for args in (["gc", store.root], ["gc", store.root, "-m"],
                 ["du", store.root], ["audit", store.root]):
        p = run([rs] + args + ["--grace", "0", "--json", UNWRITABLE]
                if args[0] == "gc" else [rs] + args + ["--json", UNWRITABLE])
        t.check(p.returncode == 2 and UNWRITABLE in p.stderr,
                f"{' '.join(args[:1] + args[2:])} --json UNWRITABLE: exit 2 "
                f"naming the file", f"exit {p.returncode}: {p.stderr[-500:]}")
    t.check(count_blobs(store) == before,
            "nothing was deleted by the refused runs")
    tag = f"{V2}/repositories/app/_manifests/tags/v1/current/link"
    m, _ = store.image("tagged", "tagged layer")
    store.write(tag.replace("/app/", "/tagged/"), m)
    p = run([rs, "tag", "rm", store.root, "tagged:v1", "--json", UNWRITABLE])
    t.check(p.returncode == 2 and os.path.exists(
        os.path.join(store.root, tag.replace("/app/", "/tagged/"))),
        "tag rm --json UNWRITABLE: exit 2, the tag is still there",
        f"exit {p.returncode}: {p.stderr[-500:]}")


def bounds_and_hints(t, rs, wd):
    store, _ = fresh_store(wd, "hints")
    for jobs in ("10000000", "1000000000", "-1"):
        p = run([rs, "gc", store.root, "--dry-run", "--jobs", jobs])
        t.check(p.returncode == 2 and "1024" in p.stderr,
                f"--jobs {jobs}: a usage error naming the bound",
                f"exit {p.returncode}: {p.stderr[-300:]}")
    p = run([rs, "gc", os.path.join(store.root, V2), "--dry-run"])
    t.check(p.returncode == 2 and f"give the storage root" in p.stderr
            and store.root in p.stderr,
            "gc STORE/docker/registry/v2: the hint names the storage root",
            p.stderr[-300:])
    p = run([rs, "gc", "--config", os.path.join(wd, "missing.yml")])
    t.check(p.returncode == 2 and "No such file or directory" in p.stderr,
            "gc --config MISSING: says why the config cannot be read",
            p.stderr[-300:])
    t.check(p.stderr.startswith("time=") and " level=error " in p.stderr,
            "an error line has a time and a level", p.stderr[-300:])
    p = run([rs, "gc", "localhost:5000/app:latest", "--dry-run"])
    t.check(p.returncode == 2 and "image reference" in p.stderr,
            "gc HOST:PORT/REPO:TAG: the hint says it wants a directory",
            p.stderr[-300:])


def wrong_user(t, rs, wd):
    """A real run as a user who may read but not delete."""
    store, orphan = fresh_store(wd, "user")
    for path, dirs, _ in os.walk(wd):
        os.chmod(path, 0o755)
    before = count_blobs(store)
    p = run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             rs, "gc", store.root, "--grace", "0"])
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    t.check(p.returncode == 2, "wrong user: exit 2",
            f"exit {p.returncode}: {p.stderr[-800:]}")
    t.check(len(lines) == 1 and "uid 65534" in lines[0]
            and store.root in lines[0],
            "wrong user: one message naming the user and the directory",
            p.stderr[-800:])
    t.check(count_blobs(store) == before, "wrong user: nothing was deleted")


def summaries(t, rs, wd):
    """What the human summary says of a refused run and of failed deletions."""
    store, _ = fresh_store(wd, "refused")
    revisions = os.path.join(store.root, V2, "repositories", "app",
                             "_manifests", "revisions", "sha256")
    shutil.move(revisions, revisions + ".real")
    os.symlink("sha256.real", revisions)
    p = run([rs, "gc", store.root, "--grace", "0"])
    t.check(p.returncode == 3 and "real run, sweep refused" in p.stdout
            and "none: the sweep was refused" in p.stdout,
            "a refused real run's summary says so", p.stdout[-600:])

    store, orphan = fresh_store(wd, "immutable")
    data = os.path.join(store.root, V2, "blobs", "sha256", orphan[7:9],
                        orphan[7:], "data")
    if run(["chattr", "+i", data]).returncode != 0:
        print("SKIP failed deletions: chattr +i is not permitted here")
        return
    try:
        # Deleted at once (a quarantine moves the directory, which an
        # immutable file inside does not prevent).
        p = run([rs, "gc", store.root, "--grace", "0", "--quarantine-for",
                 "0"])
    finally:
        run(["chattr", "-i", data])
    t.check(p.returncode == 1 and "failed              1 deletion " in p.stdout,
            "a failed deletion has its own summary line", p.stdout[-600:])
    t.check("a rerun will not help" in p.stderr
            and "rerun to finish" not in p.stderr,
            "an immutable file is not 'rerun to finish'", p.stderr[-600:])


def linked_parts(t, rs, wd):
    """blobs/ and repositories/ moved to another disk, symbolic links left."""
    for part in ("blobs", "repositories"):
        store, orphan = fresh_store(wd, "linked-" + part)
        disk = os.path.join(wd, "disk-" + part)
        os.makedirs(disk)
        moved = os.path.join(disk, part)
        shutil.move(os.path.join(store.root, V2, part), moved)
        os.symlink(moved, os.path.join(store.root, V2, part))
        p = run([rs, "gc", store.root, "--grace", "0"])
        t.check(p.returncode == 0, f"{part}/ a symbolic link: gc exits 0",
                f"exit {p.returncode}: {p.stderr[-800:]}")
        t.check(not os.path.exists(os.path.join(
            store.root, V2, "blobs", "sha256", orphan[7:9], orphan[7:])),
            f"{part}/ a symbolic link: the orphan is collected")


def json_report(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def generated_store(wd, gen, name):
    root = os.path.join(wd, name)
    subprocess.run([gen, "--root", root, "--blobs", "20000", "--orphans",
                    "3000", "--deleted-fraction", "0.3", "--seed", "7"],
                   check=True, capture_output=True, timeout=300)
    return root


def two_runs_at_once(t, rs, wd, gen):
    """Two real runs started together: one deletes, the other is told who
    holds the lock (or, if it came second, finds nothing left to do); no
    misleading "rerun to finish", and together they delete what one would."""
    if not gen:
        return
    root = generated_store(wd, gen, "two-runs")
    dry = run([rs, "gc", root, "-m", "--grace", "0", "--dry-run", "--json",
               os.path.join(wd, "two-dry.json")])
    want = json_report(os.path.join(wd, "two-dry.json"))
    want_blobs = len(want.get("blobs_eligible", []))
    t.check(dry.returncode == 0 and want_blobs > 1000,
            "two runs: the dry run finds blobs to delete",
            f"exit {dry.returncode}, {want_blobs} blobs")
    reports = [os.path.join(wd, f"two-{i}.json") for i in (0, 1)]
    procs = [subprocess.Popen([rs, "gc", root, "-m", "--grace", "0", "-q",
                               "--json", path], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for path in reports]
    outs = [p.communicate(timeout=300) for p in procs]
    codes = sorted(p.returncode for p in procs)
    deleted = sum(json_report(path).get("blobs_deleted", 0)
                  for path in reports)
    errors = sum(len(json_report(path).get("errors", []))
                 for path in reports)
    stderr = "".join(err for _, err in outs)
    t.check(codes in ([0, 0], [0, 4]),
            "two runs: exit codes 0 and 4 (or 0 and 0 one after the other)",
            f"{codes}: {stderr[-800:]}")
    if codes == [0, 4]:
        t.check("another run holds the store's lock: pid" in stderr
                and "regsweep gc " + root in stderr,
                "two runs: the refused one names the holder's pid and "
                "command", stderr[-800:])
    t.check(deleted == want_blobs and errors == 0
            and "rerun" not in stderr,
            "two runs: together they deleted exactly the dry run's blobs, "
            "with no failed deletion",
            f"{deleted} of {want_blobs}, {errors} errors: {stderr[-500:]}")
    t.check(not os.path.exists(os.path.join(root, "docker", "registry",
                                            "regsweep", "lock")),
            "two runs: the lock is gone afterwards")


def killed_run_lock(t, rs, wd, gen):
    """A real run killed while it holds the lock: the next run takes the
    lock over and finishes the job."""
    if not gen:
        return
    root = generated_store(wd, gen, "killed")
    lock = os.path.join(root, "docker", "registry", "regsweep", "lock")
    dry_json = os.path.join(wd, "killed-dry.json")
    run([rs, "gc", root, "--grace", "0", "--dry-run", "--json", dry_json])
    want = set(json_report(dry_json).get("blobs_eligible", []))
    p = subprocess.Popen([rs, "gc", root, "--grace", "0", "-q"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while p.poll() is None and not os.path.exists(lock):
        time.sleep(0.001)
    p.kill()
    p.wait()
    t.check(os.path.exists(lock), "killed run: it left its lock behind",
            f"exit {p.returncode} before the lock was seen")
    rerun_json = os.path.join(wd, "killed-rerun.json")
    again = run([rs, "gc", root, "--grace", "0", "-q", "--json", rerun_json])
    t.check(again.returncode == 0 and not os.path.exists(lock),
            "killed run: the next run takes the lock over, exits 0 and "
            "removes it", f"exit {again.returncode}: {again.stderr[-800:]}")
    after = run([rs, "gc", root, "--grace", "0", "--dry-run", "--json",
                 dry_json])
    t.check(after.returncode == 0
            and not json_report(dry_json).get("blobs_eligible")
            and all(not os.path.exists(os.path.join(
                root, V2, "blobs", "sha256", d[7:9], d[7:])) for d in want),
            "killed run: every blob the dry run named is gone, nothing left "
            "to do")


def tree_of(root, below):
    """Every path below root/below with its mode and, for files, bytes."""
    tree = {}
    top = os.path.join(root, below)
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            data = None
            if name in filenames:
                with open(path, "rb") as f:
                    data = f.read()
            tree[os.path.relpath(path, top)] = (st.st_mode, data)
    return tree


def quarantine_and_restore(t, rs, wd, gen):
    """A real run moves what it removes into the quarantine, `restore`
    gives the store back exactly, and a later run purges old quarantines."""
    if not gen:
        return
    root = generated_store(wd, gen, "quarantine")
    before = tree_of(root, V2)
    report_path = os.path.join(wd, "quarantine.json")
    p = run([rs, "gc", root, "-m", "--grace", "0", "--json", report_path])
    report = json_report(report_path)
    quarantine = report.get("quarantine") or {}
    t.check(p.returncode == 0 and quarantine.get("run")
            and report.get("blobs_deleted", 0) > 1000
            and quarantine.get("bytes_held") == report.get("bytes_deleted"),
            "quarantine: a real gc -m moves its blobs into a named run",
            f"exit {p.returncode}: {json.dumps(quarantine)} {p.stderr[-500:]}")
    t.check("quarantined" in p.stdout and "quarantine holds" in p.stdout,
            "quarantine: the summary says what was quarantined and held",
            p.stdout[-800:])
    area = os.path.join(root, "docker", "registry", "regsweep", "quarantine",
                        quarantine.get("run", "?"))
    t.check(os.path.isdir(os.path.join(area, "record"))
            and tree_of(root, V2) != before,
            "quarantine: the run's area and record exist, v2/ changed")
    ls = run([rs, "quarantine", "ls", root, "--json", "-"])
    runs = json.loads(ls.stdout).get("runs", []) if ls.returncode == 0 else []
    t.check(len(runs) == 1 and runs[0]["blobs"] == report["blobs_deleted"]
            and runs[0]["revisions"] == report["manifests_deleted"]
            and runs[0]["layers"] == report["layer_links_deleted"],
            "quarantine ls: one run, with the report's counts",
            f"exit {ls.returncode}: {ls.stdout[-600:]} {ls.stderr[-300:]}")
    restore = run([rs, "restore", root, quarantine.get("run", "?")])
    t.check(restore.returncode == 0 and not os.path.exists(area),
            "restore RUN: exit 0, the run's area is gone",
            f"exit {restore.returncode}: {restore.stdout} {restore.stderr}")
    after = tree_of(root, V2)
    differ = sorted(set(before) ^ set(after)) + sorted(
        k for k in before if k in after and before[k] != after[k])
    t.check(not differ, "restore RUN: v2/ is as before the run (every path, "
            "content and mode)", f"{len(differ)} differ: {differ[:5]}")
    # Quarantined again; a run with --quarantine-for 0 then purges it.
    run([rs, "gc", root, "-m", "--grace", "0", "-q"])
    purge_json = os.path.join(wd, "purge.json")
    again = run([rs, "gc", root, "--grace", "0", "--quarantine-for", "0",
                 "-q", "--json", purge_json])
    purged = (json_report(purge_json).get("quarantine") or {})
    t.check(again.returncode == 0 and len(purged.get("purged_runs", [])) == 1
            and purged.get("runs_held") == 0
            and "no quarantine" in run([rs, "quarantine", "ls", root]).stdout,
            "quarantine: a run with --quarantine-for 0 purges the old run",
            f"exit {again.returncode}: {json.dumps(purged)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--regsweep", required=True)
    ap.add_argument("--gen-store")
    args = ap.parse_args()
    t = TestRun("operator")
    wd = tempfile.mkdtemp(prefix="regsweep-operator-")
    try:
        for part in (unwritable_report, bounds_and_hints, wrong_user,
                     summaries, linked_parts):
            try:
                part(t, args.regsweep, wd)
            except Exception:
                t.crash(part.__name__)
        for part in (two_runs_at_once, killed_run_lock,
                     quarantine_and_restore):
            try:
                part(t, args.regsweep, wd, args.gen_store)
            except Exception:
                t.crash(part.__name__)
    finally:
        shutil.rmtree(wd, ignore_errors=True)
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
