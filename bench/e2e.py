#!/usr/bin/env python3
"""End-to-end benchmark: regsweep against distribution's garbage-collect.

    python3 bench/e2e.py --build BUILD_DIR [--sizes 10000,100000,1000000]
        [--repeats 3] [--repeats-large 1] [--work DIR] [--keep]
        [--cases dry,dry-m,floor,incremental,incremental-m,real,real-m]
        [--churn 0.01] [--out bench/RESULTS.md]

For each size it generates a store with BUILD_DIR/gen_store (fixed seed),
writes a registry config for it, warms the page cache with one untimed read
of the whole store, then measures side by side, alternating which tool goes
first in each repeat:

  dry     `docker-registry garbage-collect --dry-run CONFIG`
          vs `regsweep gc STORE --dry-run --grace 0 -q`
  dry-m   the same with --delete-untagged (-m) on both
  floor   BUILD_DIR/bench/io_floor STORE: the bare I/O of a full pass
  incremental, incremental-m
          regsweep alone, after a little change: on the pristine store a
          full dry run builds an index (--index IDX, not timed), then
          `gen_store --churn 0.01` changes about 1% of the repositories
          (not timed) and, 2 s later (regsweep re-reads what changed within
          the last second or two), measured side by side: an incremental
          dry run with a copy of IDX (copied afresh before every repeat, so
          each is the same incremental pass over the same change) against
          a full dry run with a fresh, empty index. Both must say so in
          their report ("pass") and name exactly the same blobs and
          manifests, or the benchmark stops with an error.
  real    a real run, default mode, each on a fresh store
  real-m  a real run with -m, each on a fresh store

Apart from the incremental passes, regsweep always does a full pass with a
fresh, empty --index directory, so writing the reference index is included,
and writes its --json report (for its phases, repositories re-read and, on
real runs, deleted blobs per second). A fresh store (for a real run, or
after the churn) is made by regenerating it with the same seed (gen_store
is deterministic), which needs one store's worth of disk at a time; that
time is not counted. --cases picks which of the cases above to run.

Wall time is measured around the process, CPU time (user+sys) and peak RSS
come from wait4's rusage. Each figure in the table is the median over the
repeats. Progress goes to stderr, the table to stdout, and the same as
Markdown (with the machine, date and exact command) to --out.

Python 3 standard library only.
"""

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

SEED = 1
DISTRIBUTION = "docker-registry"
# What one generated blob costs on disk (ext4, 4 KiB blocks: blob dir, data
# file, link dirs and files), with some margin; used to refuse a size that
# cannot fit rather than fill the disk.
BYTES_PER_BLOB = 25 * 1024
INODES_PER_BLOB = 6

CONFIG_TEMPLATE = """\
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:0
"""

# The store's churn before the incremental passes: its own seed, so that
# it does not replay the generator's choices.
CHURN_SEED = 2
# regsweep re-reads whatever changed within about the last second or two
# (a change in the same clock tick could hide); an incremental pass starts
# this long after the churn, so that it can reuse what the index holds.
SETTLE_SECONDS = 2.0

DRY_CASES = ("dry", "dry-m")
REAL_CASES = ("real", "real-m")
INCREMENTAL_CASES = ("incremental", "incremental-m")
# The full pass each incremental case is measured against, and the dry run
# whose distribution figure it is compared with.
FULL_AFTER_CHURN = {"incremental": "churned", "incremental-m": "churned-m"}
PRISTINE_DRY = {"incremental": "dry", "incremental-m": "dry-m"}
CASES = DRY_CASES + ("floor",) + INCREMENTAL_CASES + REAL_CASES
# Store shapes (--shape): gen_store arguments put before any --gen-arg.
SHAPES = {
    "default": [],
    "many-tags": ["--builds=100", "--tags-per-repo=100"],
}
CASE_TEXT = {
    "dry": "dry run",
    "dry-m": "dry run -m",
    "incremental": "incremental dry run",
    "churned": "full dry run (after churn)",
    "incremental-m": "incremental dry run -m",
    "churned-m": "full dry run -m (after churn)",
    "real": "real run",
    "real-m": "real run -m",
    "floor": "I/O floor",
}
# Table order: each incremental row next to its full pass.
TABLE_CASES = DRY_CASES + ("incremental", "churned", "incremental-m",
                           "churned-m") + REAL_CASES + ("floor",)


def log(message):
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Running and measuring one process


class Measurement:
    """One timed run: wall and CPU seconds, peak RSS in KiB, and what the
    tool reported (eligible blobs, phases, deleted blobs)."""

    def __init__(self, wall, cpu, rss_kib, returncode):
        self.wall = wall
        self.cpu = cpu
        self.rss_kib = rss_kib
        self.returncode = returncode
        self.eligible = None  # blobs eligible for deletion, as reported
        self.manifests_eligible = None
        self.phases = {}
        self.deleted = None
        # regsweep only: its report's "pass" ("full" or "incremental"),
        # repositories (re-read, in all), and what it names eligible.
        self.pass_kind = None
        self.repositories = None
        self.reread = None
        self.blob_set = set()
        self.manifest_set = set()


# BUILD_DIR/bench/run_measured, set from the arguments.
RUN_MEASURED = None


def measure(cmd, stdout_path, env=None):
    """Runs cmd with stdout to stdout_path (and `env`, default this
    process's environment); returns a Measurement.

    Through run_measured: started from this Python process directly, a
    tool's peak RSS would include this process's own memory (ru_maxrss
    counts the forked parent's pages until exec)."""
    load = float(loadavg().split()[0])
    report_path = stdout_path + ".cost"
    with open(stdout_path, "wb") as out:
        proc = subprocess.run([RUN_MEASURED, report_path, *cmd],
                              stdin=subprocess.DEVNULL, stdout=out,
                              stderr=subprocess.PIPE, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"run_measured failed: {shlex.join(cmd)}\n"
                           f"{proc.stderr.decode(errors='replace')[-2000:]}")
    with open(report_path) as f:
        wall, user, system, rss_kib, code = f.read().split()
    os.remove(report_path)
    m = Measurement(float(wall), float(user) + float(system), int(rss_kib),
                    int(code))
    m.stderr = proc.stderr.decode(errors="replace")
    m.load = load  # other work on the machine when the run started
    return m


def run_untimed(cmd, what):
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{what} failed ({proc.returncode}): "
                           f"{shlex.join(cmd)}\n{proc.stderr[-2000:]}")
    return proc.stdout


# ---------------------------------------------------------------------------
# The store


class Store:
    """A generated store of about `blobs` blobs in `directory`."""

    def __init__(self, args, directory, blobs):
        self.args = args
        self.directory = directory
        self.blobs = blobs
        self.root = os.path.join(directory, "store")
        self.config = os.path.join(directory, "config.yml")
        self.pristine = False  # no real run has touched it since generation
        self.summary = ""  # gen_store's last line: what the store holds

    def generate(self):
        self.remove()
        start = time.monotonic()
        out = run_untimed([self.args.gen_store, "--root", self.root, "--seed",
                           str(SEED), "--blobs", str(self.blobs),
                           *self.args.gen_arg], "gen_store")
        # Dirty pages written back during a timed run would be charged to it.
        os.sync()
        self.summary = re.sub(r"\s*seconds=\S+", "", out.strip())
        log(f"  generated {self.blobs} blobs in "
            f"{time.monotonic() - start:.1f} s: {self.summary}")
        with open(self.config, "w") as f:
            f.write(CONFIG_TEMPLATE.format(root=self.root))
        self.pristine = True

    def warm(self):
        """One untimed read of everything either collector touches: every
        directory (find) and every link and manifest (io_floor)."""
        start = time.monotonic()
        subprocess.run(["find", self.root], stdout=subprocess.DEVNULL,
                       check=True)
        run_untimed([self.args.io_floor, self.root], "io_floor warm-up")
        log(f"  warmed the page cache in {time.monotonic() - start:.1f} s")

    def churn(self, fraction):
        """Changes about `fraction` of the repositories as a registry's
        users would (gen_store --churn); the store is no longer pristine."""
        start = time.monotonic()
        self.pristine = False
        out = run_untimed([self.args.gen_store, "--root", self.root, "--churn",
                           str(fraction), "--seed", str(CHURN_SEED)],
                          "gen_store --churn")
        os.sync()
        summary = re.sub(r"\s*seconds=\S+", "", out.strip())
        log(f"  churned in {time.monotonic() - start:.1f} s: {summary}")
        return summary

    def fresh(self):
        """Makes sure the store is as generated (regenerating if a real run
        changed it), synced and warm."""
        if not self.pristine:
            self.generate()
            self.warm()
        os.sync()

    def remove(self):
        remove_tree(self.root)


def remove_tree(path):
    # rm is several times faster than shutil.rmtree on millions of files.
    subprocess.run(["rm", "-rf", "--one-file-system", path], check=False)


def check_room(work, blobs):
    """Returns None if a store of `blobs` blobs fits in `work`, else why."""
    st = os.statvfs(work)
    free_bytes = st.f_bavail * st.f_frsize
    need_bytes = blobs * BYTES_PER_BLOB
    if free_bytes < need_bytes:
        return (f"needs ~{need_bytes / 2**30:.1f} GiB, "
                f"{free_bytes / 2**30:.1f} GiB free")
    if st.f_favail and st.f_favail < blobs * INODES_PER_BLOB:
        return (f"needs ~{blobs * INODES_PER_BLOB} inodes, "
                f"{st.f_favail} free")
    return None


# ---------------------------------------------------------------------------
# The tools


class Tools:
    def __init__(self, args, size_dir):
        self.args = args
        self.size_dir = size_dir
        self.counter = 0

    def _scratch(self, name):
        self.counter += 1
        return os.path.join(self.size_dir, f"{self.counter:04d}-{name}")

    def ours(self, store, case, index=None, keep_index=False):
        """Runs regsweep on `store` for `case` with `index` as its --index
        (default: a new, empty one), removed afterwards unless keep_index."""
        if index is None:
            index = tempfile.mkdtemp(prefix="index-", dir=self.size_dir)
        report = self._scratch("ours.json")
        cmd = [self.args.regsweep, "gc", store.root, "--grace", "0", "-q",
               "--index", index, "--json", report]
        if case not in REAL_CASES:
            cmd.append("--dry-run")
        if case.endswith("-m"):
            cmd.append("-m")
        out = self._scratch("ours.out")
        m = measure(cmd, out)
        # 1: done with problems reported (the generator makes a few on
        # purpose); 2 and 3 mean the run did not do its job.
        if m.returncode not in (0, 1):
            raise RuntimeError(f"regsweep exited {m.returncode}: "
                               f"{shlex.join(cmd)}\n{m.stderr[-2000:]}")
        with open(report) as f:
            r = json.load(f)
        m.blob_set = set(r.get("blobs_eligible", []))
        m.manifest_set = {(e.get("repository"), e.get("digest"))
                          for e in r.get("manifests_eligible", [])}
        m.eligible = len(m.blob_set)
        m.manifests_eligible = len(m.manifest_set)
        m.phases = r.get("phases", {})
        m.deleted = r.get("blobs_deleted")
        m.pass_kind = r.get("pass")
        m.repositories = r.get("repositories")
        m.reread = r.get("repositories_reread")
        for path in (report, out):
            os.remove(path)
        if not keep_index:
            shutil.rmtree(index)
        return m

    def build_index(self, store, case):
        """A full pass that leaves its index behind; returns the index."""
        index = tempfile.mkdtemp(prefix="built-index-", dir=self.size_dir)
        m = self.ours(store, case, index, keep_index=True)
        expect_pass(m, "full", f"the pass building the {case} index")
        log(f"  built the {case} index: {m.wall:.2f} s wall")
        return index

    def incremental(self, store, case, built_index):
        """An incremental pass with a copy of `built_index` (the copy is not
        timed), so that every repeat does the same work."""
        index = self._scratch("index")
        shutil.copytree(built_index, index)
        os.sync()
        return self.ours(store, case, index)

    def distribution(self, store, case):
        cmd = [DISTRIBUTION, "garbage-collect"]
        if case.startswith("dry"):
            cmd.append("--dry-run")
        if case.endswith("-m"):
            cmd.append("--delete-untagged")
        cmd.append(store.config)
        out = self._scratch("distribution.out")
        m = measure(cmd, out)
        if m.returncode != 0:
            raise RuntimeError(f"{DISTRIBUTION} exited {m.returncode}: "
                               f"{shlex.join(cmd)}\n{m.stderr[-2000:]}")
        m.eligible, m.manifests_eligible = distribution_summary(out)
        os.remove(out)
        return m

    def floor(self, store):
        cmd = [self.args.io_floor, store.root,
               "--threads", str(self.args.floor_threads)]
        out = self._scratch("floor.out")
        m = measure(cmd, out)
        if m.returncode != 0:
            raise RuntimeError(f"io_floor exited {m.returncode}")
        with open(out) as f:
            fields = dict(kv.split("=", 1) for kv in f.read().split())
        os.remove(out)
        m.floor = fields
        if fields.get("errors", "0") != "0":
            log(f"  warning: io_floor could not read {fields['errors']} files")
        return m


SUMMARY = re.compile(r"(\d+) blobs marked, (\d+) blobs and (\d+) manifests "
                     r"eligible for deletion")


def distribution_summary(path):
    """(blobs, manifests) eligible, from distribution's summary line."""
    with open(path, errors="replace") as f:
        for line in f:
            match = SUMMARY.search(line)
            if match:
                return int(match.group(2)), int(match.group(3))
    return None, None


class Mismatch(Exception):
    """regsweep contradicted itself: the benchmark's figures mean nothing.
    Not a RuntimeError, so that it stops the whole run."""


def expect_pass(m, kind, what):
    if m.pass_kind != kind:
        raise Mismatch(f"{what} was a {m.pass_kind!r} pass, not {kind!r}")


def expect_same(incremental, full, case):
    """Both passes name the same blobs and manifests, or Mismatch."""
    problems = []
    for what, a, b in (("blobs", incremental.blob_set, full.blob_set),
                       ("manifests", incremental.manifest_set,
                        full.manifest_set)):
        if a != b:
            problems.append(
                f"{what}: {len(a - b)} only incremental (e.g. "
                f"{sorted(a - b, key=str)[:3]}), {len(b - a)} only full "
                f"(e.g. {sorted(b - a, key=str)[:3]})")
    if problems:
        raise Mismatch(f"{case}: the incremental and the full pass disagree "
                       "on what is eligible: " + "; ".join(problems))


# ---------------------------------------------------------------------------
# Measuring one size


class Results:
    """Measurements keyed by (size, case, tool)."""

    def __init__(self):
        self.runs = {}
        self.sizes = []
        self.skipped = {}  # size -> why
        self.store_info = {}  # size -> gen_store's summary
        self.churn_info = {}  # size -> gen_store --churn's summary
        self.load = {}  # size -> 1-minute load averages seen before runs

    def add(self, size, case, tool, m):
        self.runs.setdefault((size, case, tool), []).append(m)
        self.load.setdefault(size, []).append(m.load)

    def get(self, size, case, tool):
        return self.runs.get((size, case, tool), [])


def order(repeat, pair=("ours", "distribution")):
    """Which of the two goes first alternates between repeats."""
    return pair if repeat % 2 == 0 else pair[::-1]


def progress(size, case, tool, repeat, repeats, m):
    extra = ""
    if m.eligible is not None:
        extra = f", {m.eligible} blobs eligible"
    if m.reread is not None:
        extra += f", {m.reread} of {m.repositories} repositories re-read"
    log(f"  [{size}] {case:13} {tool:12} {repeat + 1}/{repeats}: "
        f"{m.wall:.2f} s wall, {m.cpu:.2f} s cpu, "
        f"{m.rss_kib / 1024:.0f} MiB{extra}")


def run_tool(tools, tool, store, case):
    if tool == "ours":
        return tools.ours(store, case)
    return tools.distribution(store, case)


def measure_size(args, results, size):
    repeats = args.repeats_large if size >= args.large_from else args.repeats
    size_dir = os.path.join(args.work, f"size-{size}")
    os.makedirs(size_dir, exist_ok=True)
    store = Store(args, size_dir, size)
    tools = Tools(args, size_dir)
    log(f"size {size}: {repeats} repeat(s)")
    store.generate()
    store.warm()
    results.store_info[size] = store.summary

    # Dry runs and the floor first: they leave the store as it is.
    dry_cases = [case for case in DRY_CASES if case in args.cases]
    for repeat in range(repeats):
        for case in dry_cases:
            for tool in order(repeat):
                m = run_tool(tools, tool, store, case)
                results.add(size, case, tool, m)
                progress(size, case, tool, repeat, repeats, m)
        if "floor" in args.cases:
            m = tools.floor(store)
            results.add(size, "floor", "io_floor", m)
            progress(size, "floor", "io_floor", repeat, repeats, m)

    incremental = [case for case in INCREMENTAL_CASES if case in args.cases]
    if incremental:
        measure_incremental(args, results, size, store, tools, repeats,
                            incremental)

    # Real runs: each on a freshly generated store.
    for repeat in range(repeats):
        for case in [case for case in REAL_CASES if case in args.cases]:
            for tool in order(repeat):
                store.fresh()
                store.pristine = False
                m = run_tool(tools, tool, store, case)
                results.add(size, case, tool, m)
                progress(size, case, tool, repeat, repeats, m)
    if not args.keep:
        store.remove()


def measure_incremental(args, results, size, store, tools, repeats, cases):
    """Index on the pristine store, churn, then incremental vs full passes
    (see the module's doc). Leaves the store churned."""
    store.fresh()
    # Whatever the index-building pass sees change within its last second
    # or two it stores as to be re-read: let generation settle first.
    time.sleep(SETTLE_SECONDS)
    built = {case: tools.build_index(store, case) for case in cases}
    results.churn_info[size] = store.churn(args.churn)
    time.sleep(SETTLE_SECONDS)
    for repeat in range(repeats):
        for case in cases:
            full_case = FULL_AFTER_CHURN[case]
            runs = {}
            for kind in order(repeat, (case, full_case)):
                if kind == case:
                    m = tools.incremental(store, case, built[case])
                    expect_pass(m, "incremental", f"{case} repeat {repeat + 1}")
                else:
                    m = tools.ours(store, full_case)
                    expect_pass(m, "full", f"{full_case} repeat {repeat + 1}")
                runs[kind] = m
                results.add(size, kind, "ours", m)
                progress(size, kind, "ours", repeat, repeats, m)
            expect_same(runs[case], runs[full_case], case)
            for m in runs.values():  # the sets are no longer needed
                m.blob_set, m.manifest_set = set(), set()
    for index in built.values():
        shutil.rmtree(index)


# ---------------------------------------------------------------------------
# Reporting


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, digits=2):
    return "" if value is None else f"{value:.{digits}f}"


def table_rows(results):
    """Rows of the main table, as lists of strings."""
    rows = []
    for size in results.sizes:
        if size in results.skipped:
            # Whatever was measured before it stopped still shows below.
            rows.append([f"{size:,}", "(incomplete)", "", "", "", "", "", "",
                         "", results.skipped[size]])
        floor = median(m.wall for m in results.get(size, "floor", "io_floor"))
        for case in TABLE_CASES:
            tools = ("io_floor",) if case == "floor" else \
                ("ours", "distribution")
            for tool in tools:
                runs = results.get(size, case, tool)
                if runs:
                    rows.append(table_row(results, size, case, tool, runs,
                                          floor))
    return rows


def table_row(results, size, case, tool, runs, floor):
    wall = median(m.wall for m in runs)
    ratio = ""
    vs_floor = ""
    notes = []
    if tool == "ours":
        # The distribution figure of an incremental pass is its dry run
        # on the pristine store: it has no incremental mode.
        dist_case = PRISTINE_DRY.get(case, case)
        dist_wall = median(
            m.wall for m in results.get(size, dist_case, "distribution"))
        if dist_wall and wall:
            ratio = f"{dist_wall / wall:.1f}x"
        if floor:
            vs_floor = f"{wall / floor:.1f}x"
        notes += incremental_notes(results, size, case, wall, dist_wall)
        notes.append(reread_text(case, runs))
        notes.append(phase_text(runs))
        if case in REAL_CASES:
            notes.append(delete_rate_text(runs))
    name = "regsweep" if tool == "ours" else tool
    eligible = median(m.eligible for m in runs)
    return [f"{size:,}", CASE_TEXT[case], name, fmt(wall),
            fmt(median(m.cpu for m in runs)),
            f"{median(m.rss_kib for m in runs) / 1024:.0f}",
            "" if eligible is None else f"{eligible:,.0f}",
            ratio, vs_floor, "; ".join(n for n in notes if n)]


def incremental_notes(results, size, case, wall, dist_wall):
    if case not in INCREMENTAL_CASES:
        return []
    full = median(m.wall for m in
                  results.get(size, FULL_AFTER_CHURN[case], "ours"))
    notes = []
    if full and wall:
        notes.append(f"full/incremental {full / wall:.1f}x")
    notes.append("distribution/ours: distribution's dry run on the pristine "
                 "store" if dist_wall else "no distribution dry run measured")
    return notes


def reread_text(case, runs):
    """Repositories re-read, for the passes after the churn (every other
    pass is full and re-reads them all)."""
    if case not in INCREMENTAL_CASES and case not in FULL_AFTER_CHURN.values():
        return ""
    reread = median(m.reread for m in runs)
    total = median(m.repositories for m in runs)
    if reread is None or total is None:
        return ""
    return f"{reread:,.0f} of {total:,.0f} repositories re-read"


HEADER = ["blobs", "case", "tool", "wall s", "cpu s", "peak RSS MiB",
          "blobs eligible", "distribution/ours", "ours/floor", "notes"]


def phase_text(runs):
    phases = {}
    for m in runs:
        for name, seconds in m.phases.items():
            phases.setdefault(name, []).append(seconds)
    if not phases:
        return ""
    return "phases " + " ".join(
        f"{name} {statistics.median(v):.2f}" for name, v in phases.items())


def delete_rate_text(runs):
    rates = []
    for m in runs:
        seconds = m.phases.get("delete")
        if m.deleted and seconds:
            rates.append(m.deleted / seconds)
    if not rates:
        return ""
    deleted = median(m.deleted for m in runs)
    return (f"{deleted:,.0f} blobs deleted, "
            f"{statistics.median(rates):,.0f} blobs/s")


def print_table(rows):
    widths = [max(len(r[i]) for r in [HEADER] + rows) for i in
              range(len(HEADER))]
    for row in [HEADER] + rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


def machine_info(work):
    info = {}
    info["cores (nproc)"] = str(os.cpu_count())
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    info["CPU"] = model
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                kib = int(line.split()[1])
                info["memory"] = f"{kib / 2**20:.1f} GiB"
    info["kernel"] = platform.release()
    info["filesystem of the work dir"] = filesystem_of(work)
    info["distribution"] = distribution_version()
    info["regsweep commit"] = git_commit()
    return info


def filesystem_of(path):
    """'ext4 on /dev/vda (mounted at /)' for the mount holding path."""
    path = os.path.realpath(path)
    best = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            mount_point = fields[4].replace("\\040", " ")
            sep = fields.index("-")
            fstype, source = fields[sep + 1], fields[sep + 2]
            if (path == mount_point or path.startswith(
                    mount_point.rstrip("/") + "/")) and \
                    (best is None or len(mount_point) >= len(best[0])):
                best = (mount_point, fstype, source)
    if best is None:
        return "unknown"
    return f"{best[1]} on {best[2]} (mounted at {best[0]})"


def distribution_version():
    try:
        out = subprocess.run([DISTRIBUTION, "--version"], capture_output=True,
                             text=True, timeout=30)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "unknown"


def git_commit():
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        head = subprocess.run(["git", "-C", here, "rev-parse", "--short",
                               "HEAD"], capture_output=True, text=True,
                              timeout=30).stdout.strip()
        dirty = subprocess.run(["git", "-C", here, "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True,
                               text=True, timeout=30).stdout.strip()
        return head + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


TITLE = "# End-to-end benchmark: regsweep vs distribution garbage-collect"


def method_text(args):
    return ("Generated by `bench/e2e.py` (each run below is one invocation; "
            "`--append` adds a run instead of replacing the file). "
            "Warm page cache: one untimed read of the store before timing. "
            "Figures are medians over the repeats, the two tools "
            "alternating which goes first. regsweep: `regsweep gc STORE "
            "--grace 0 -q --index NEW_EMPTY_DIR --json REPORT [--dry-run] "
            "[-m]` (a full pass, reference index written); distribution: "
            "`docker-registry garbage-collect [--dry-run] "
            "[--delete-untagged] CONFIG`. Real runs each start from a "
            f"freshly generated store (`gen_store --seed {SEED}`, "
            "deterministic); generation is not timed. The floor is "
            "`bench/io_floor STORE`: listing every blob prefix directory and "
            "reading every revision link, tag link and manifest, nothing "
            "else. Peak RSS from wait4; CPU is user+sys. `blobs eligible`: "
            "what each tool reported (with -m, regsweep keeps index children "
            "and referrers that distribution 2.8 deletes, so the counts "
            "differ by design). `phases` are regsweep's own seconds per "
            "phase (`--json`); blobs/s is `blobs_deleted / phases.delete`. "
            "Incremental dry runs: on the pristine store (2 s after it was "
            "written) a full dry run builds an index (not timed), then `gen_store --churn FRACTION "
            f"--seed {CHURN_SEED}` changes about that share of the "
            "repositories (pushes, tag moves, deleted manifests and tags, "
            f"orphans; not timed) and {SETTLE_SECONDS:.0f} s later each "
            "repeat runs `regsweep gc STORE --dry-run --grace 0 -q --index "
            "COPY_OF_THAT_INDEX --json REPORT [-m]` (the copy, not timed, "
            "makes every repeat the same incremental pass) alternating with "
            "the same full pass on a new, empty index, `full dry run (after "
            "churn)`; both must name the same blobs and manifests. Their "
            "distribution/ours figure divides distribution's dry run on the "
            "pristine store (distribution has no incremental pass) by the "
            "incremental pass; `full/incremental` is the speed-up over our "
            "own full pass; `re-read` is from regsweep's report.")


def markdown_run(args, results, rows, info, started, load_before, load_after):
    """One run's section: what, where, how loaded, and the table."""
    sizes = ", ".join(f"{size:,}" for size in results.sizes)
    lines = [f"## {started}: {sizes} blobs", "",
             f"- command: `{args.command}`",
             f"- repeats: {args.repeats} per size ({args.repeats_large} from "
             f"{args.large_from:,} blobs); io_floor threads: "
             f"{args.floor_threads}; cases: {', '.join(args.cases)}"]
    for key, value in info.items():
        lines.append(f"- {key}: {value}")
    lines.append(f"- load average (1, 5, 15 min) before: {load_before}; "
                 f"after: {load_after}")
    for size, loads in results.load.items():
        lines.append(f"- 1-minute load average when the {size:,}-blob runs "
                     f"started: {min(loads):.1f} to {max(loads):.1f} "
                     f"(median {statistics.median(loads):.1f})")
    if args.note:
        lines.append(f"- note: {args.note}")
    for size, summary in results.store_info.items():
        extra = "".join(" " + a for a in args.gen_arg)
        lines.append(f"- store of {size:,} blobs (`gen_store --seed {SEED} "
                     f"--blobs {size}{extra}`): {summary}")
    for size, summary in results.churn_info.items():
        lines.append(f"- before the incremental passes on {size:,} blobs "
                     f"(`gen_store --churn {args.churn} --seed "
                     f"{CHURN_SEED}`): {summary}")
    lines.append("")
    lines.append("| " + " | ".join(HEADER) + " |")
    lines.append("|" + "|".join(" --- " for _ in HEADER) + "|")
    for row in rows:
        lines.append("| " + " | ".join(cell.replace("|", "\\|")
                                       for cell in row) + " |")
    lines.append("")
    return "\n".join(lines)


def write_markdown(args, section):
    """Writes --out: title, method and this run, or with --append adds this
    run to an existing file."""
    if args.append and os.path.exists(args.out):
        with open(args.out) as f:
            old = f.read()
        if old.startswith(TITLE):
            with open(args.out, "w") as f:
                f.write(old.rstrip("\n") + "\n\n" + section)
            return
    with open(args.out, "w") as f:
        f.write("\n".join([TITLE, "", method_text(args), "", section]))


# ---------------------------------------------------------------------------
# Main


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="regsweep vs distribution garbage-collect, end to end")
    p.add_argument("--build", required=True,
                   help="build directory (holds regsweep, gen_store, "
                        "bench/io_floor)")
    p.add_argument("--sizes", default="10000,100000,1000000",
                   help="comma-separated store sizes in blobs")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--repeats-large", type=int, default=1,
                   help="repeats for sizes >= --large-from")
    p.add_argument("--large-from", type=int, default=1000000)
    p.add_argument("--floor-threads", type=int, default=16)
    p.add_argument("--cases", default=",".join(CASES),
                   help="comma-separated cases to run, of "
                        f"{','.join(CASES)} (default: all)")
    p.add_argument("--gen-arg", action="append", default=[],
                   help="extra argument for gen_store when generating the "
                        "stores, e.g. --gen-arg=--tags-per-repo=100 "
                        "(repeatable)")
    p.add_argument("--shape", choices=sorted(SHAPES), default="default",
                   help="the stores' shape: default (gen_store's), or "
                        "many-tags (a CI repository that tags every build: "
                        "100 builds, 100 tags each; where distribution's -m "
                        "reads every tag for every manifest)")
    p.add_argument("--churn", type=float, default=0.01,
                   help="share of the repositories changed before the "
                        "incremental passes (default 0.01)")
    p.add_argument("--work", help="work directory (default: a new one "
                                  "under $TMPDIR or /tmp)")
    p.add_argument("--keep", action="store_true",
                   help="keep the work directory")
    p.add_argument("--out", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "RESULTS.md"))
    p.add_argument("--append", action="store_true",
                   help="add this run to --out instead of replacing it")
    p.add_argument("--note", default="",
                   help="a line for the Markdown (e.g. other load)")
    args = p.parse_args(argv)
    args.command = shlex.join(["python3"] + [sys.argv[0]] + argv)
    args.gen_arg = SHAPES[args.shape] + args.gen_arg
    args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    args.cases = [c for c in args.cases.split(",") if c]
    unknown = sorted(set(args.cases) - set(CASES))
    if unknown or not args.cases:
        p.error(f"--cases: unknown {', '.join(unknown) or '(none given)'}; "
                f"choose from {','.join(CASES)}")
    if not 0 < args.churn <= 1:
        p.error("--churn must be above 0 and at most 1")
    build = os.path.abspath(args.build)
    args.regsweep = os.path.join(build, "regsweep")
    args.gen_store = os.path.join(build, "gen_store")
    args.io_floor = os.path.join(build, "bench", "io_floor")
    args.run_measured = os.path.join(build, "bench", "run_measured")
    global RUN_MEASURED
    RUN_MEASURED = args.run_measured
    for path in (args.regsweep, args.gen_store, args.io_floor,
                 args.run_measured):
        if not os.access(path, os.X_OK):
            p.error(f"{path} is missing: build the project first")
    if shutil.which(DISTRIBUTION) is None:
        p.error(f"{DISTRIBUTION} is not on PATH")
    if min(args.repeats, args.repeats_large) < 1:
        p.error("repeats must be at least 1")
    return args


def main(argv):
    args = parse_args(argv)
    made_work = args.work is None
    if made_work:
        args.work = tempfile.mkdtemp(prefix="regsweep-e2e-")
    else:
        os.makedirs(args.work, exist_ok=True)
    args.work = os.path.abspath(args.work)
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    load_before = loadavg()
    info = machine_info(args.work)
    results = Results()
    log(f"work directory {args.work}")
    mismatch = None
    try:
        for size in args.sizes:
            results.sizes.append(size)
            why = check_room(args.work, size)
            if why:
                log(f"size {size}: skipped, {why}")
                results.skipped[size] = "skipped: " + why
                continue
            try:
                measure_size(args, results, size)
            except RuntimeError as e:
                # Keep what was measured (a shared disk can fill up under a
                # long run); say why the size stopped.
                first = str(e).strip().splitlines()
                why = first[-1] if first else "error"
                log(f"size {size}: stopped: {e}")
                results.skipped[size] = "stopped: " + why
    except Mismatch as e:
        mismatch = e
    finally:
        if not args.keep:
            if made_work:
                remove_tree(args.work)
            else:
                for size in args.sizes:
                    remove_tree(os.path.join(args.work, f"size-{size}"))
    rows = table_rows(results)
    print_table(rows)
    if mismatch is not None:
        log(f"error: {mismatch}\n(figures above are incomplete; {args.out} "
            "was not written)")
        return 1
    write_markdown(args, markdown_run(args, results, rows, info, started,
                                      load_before, loadavg()))
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
