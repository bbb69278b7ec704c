#!/usr/bin/env python3
"""End-to-end benchmark: regsweep against distribution's garbage-collect.

    python3 bench/e2e.py --build BUILD_DIR [--sizes 10000,100000,1000000]
        [--repeats 3] [--repeats-large 1] [--work DIR] [--keep]
        [--out bench/RESULTS.md]

For each size it generates a store with BUILD_DIR/gen_store (fixed seed),
writes a registry config for it, warms the page cache with one untimed read
of the whole store, then measures side by side, alternating which tool goes
first in each repeat:

  dry     `docker-registry garbage-collect --dry-run CONFIG`
          vs `regsweep gc STORE --dry-run --grace 0 -q`
  dry-m   the same with --delete-untagged (-m) on both
  real    a real run, default mode, each on a fresh store
  real-m  a real run with -m, each on a fresh store
  floor   BUILD_DIR/bench/io_floor STORE: the bare I/O of a full pass

regsweep always does a full pass with a fresh, empty --index directory, so
writing the reference index is included, and writes its --json report (for
its phases and, on real runs, deleted blobs per second). A fresh store for a
real run is made by regenerating it with the same seed (gen_store is
deterministic), which needs one store's worth of disk at a time; that time
is not counted.

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

DRY_CASES = ("dry", "dry-m")
REAL_CASES = ("real", "real-m")
CASE_TEXT = {
    "dry": "dry run",
    "dry-m": "dry run -m",
    "real": "real run",
    "real-m": "real run -m",
    "floor": "I/O floor",
}


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


def measure(cmd, stdout_path):
    """Runs cmd with stdout to stdout_path; returns a Measurement."""
    load = float(loadavg().split()[0])
    with open(stdout_path, "wb") as out:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.PIPE)
        # wait4 gives this child's own rusage; reading stderr first would
        # let the pipe never fill (the tools print little there).
        stderr = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    m = Measurement(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss,
                    proc.returncode)
    m.stderr = stderr.decode(errors="replace")
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
                           str(SEED), "--blobs", str(self.blobs)], "gen_store")
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

    def ours(self, store, case):
        index = tempfile.mkdtemp(prefix="index-", dir=self.size_dir)
        report = self._scratch("ours.json")
        cmd = [self.args.regsweep, "gc", store.root, "--grace", "0", "-q",
               "--index", index, "--json", report]
        if case.startswith("dry"):
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
        m.eligible = len(r.get("blobs_eligible", []))
        m.manifests_eligible = len(r.get("manifests_eligible", []))
        m.phases = r.get("phases", {})
        m.deleted = r.get("blobs_deleted")
        for path in (report, out):
            os.remove(path)
        shutil.rmtree(index)
        return m

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


# ---------------------------------------------------------------------------
# Measuring one size


class Results:
    """Measurements keyed by (size, case, tool)."""

    def __init__(self):
        self.runs = {}
        self.sizes = []
        self.skipped = {}  # size -> why
        self.store_info = {}  # size -> gen_store's summary
        self.load = {}  # size -> 1-minute load averages seen before runs

    def add(self, size, case, tool, m):
        self.runs.setdefault((size, case, tool), []).append(m)
        self.load.setdefault(size, []).append(m.load)

    def get(self, size, case, tool):
        return self.runs.get((size, case, tool), [])


def order(repeat):
    """Which tool goes first alternates between repeats."""
    return ("ours", "distribution") if repeat % 2 == 0 else \
        ("distribution", "ours")


def progress(size, case, tool, repeat, repeats, m):
    extra = ""
    if m.eligible is not None:
        extra = f", {m.eligible} blobs eligible"
    log(f"  [{size}] {case:6} {tool:12} {repeat + 1}/{repeats}: "
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
    for repeat in range(repeats):
        for case in DRY_CASES:
            for tool in order(repeat):
                m = run_tool(tools, tool, store, case)
                results.add(size, case, tool, m)
                progress(size, case, tool, repeat, repeats, m)
        m = tools.floor(store)
        results.add(size, "floor", "io_floor", m)
        progress(size, "floor", "io_floor", repeat, repeats, m)

    # Real runs: each on a freshly generated store.
    for repeat in range(repeats):
        for case in REAL_CASES:
            for tool in order(repeat):
                store.fresh()
                store.pristine = False
                m = run_tool(tools, tool, store, case)
                results.add(size, case, tool, m)
                progress(size, case, tool, repeat, repeats, m)
    if not args.keep:
        store.remove()


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
        for case in DRY_CASES + REAL_CASES + ("floor",):
            tools = ("io_floor",) if case == "floor" else \
                ("ours", "distribution")
            ours_wall = median(m.wall for m in results.get(size, case, "ours"))
            dist_wall = median(
                m.wall for m in results.get(size, case, "distribution"))
            for tool in tools:
                runs = results.get(size, case, tool)
                if not runs:
                    continue
                wall = median(m.wall for m in runs)
                ratio = ""
                vs_floor = ""
                notes = []
                if tool == "ours":
                    if dist_wall and wall:
                        ratio = f"{dist_wall / wall:.1f}x"
                    if floor:
                        vs_floor = f"{wall / floor:.1f}x"
                    notes.append(phase_text(runs))
                    if case in REAL_CASES:
                        notes.append(delete_rate_text(runs))
                name = "regsweep" if tool == "ours" else tool
                eligible = median(m.eligible for m in runs)
                rows.append([
                    f"{size:,}", CASE_TEXT[case], name, fmt(wall),
                    fmt(median(m.cpu for m in runs)),
                    f"{median(m.rss_kib for m in runs) / 1024:.0f}",
                    "" if eligible is None else f"{eligible:,.0f}",
                    ratio, vs_floor, "; ".join(n for n in notes if n)])
    return rows


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
            "phase (`--json`); blobs/s is `blobs_deleted / phases.delete`.")


def markdown_run(args, results, rows, info, started, load_before, load_after):
    """One run's section: what, where, how loaded, and the table."""
    sizes = ", ".join(f"{size:,}" for size in results.sizes)
    lines = [f"## {started}: {sizes} blobs", "",
             f"- command: `{args.command}`",
             f"- repeats: {args.repeats} per size ({args.repeats_large} from "
             f"{args.large_from:,} blobs); io_floor threads: "
             f"{args.floor_threads}"]
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
        lines.append(f"- store of {size:,} blobs (`gen_store --seed {SEED} "
                     f"--blobs {size}`): {summary}")
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
    args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    build = os.path.abspath(args.build)
    args.regsweep = os.path.join(build, "regsweep")
    args.gen_store = os.path.join(build, "gen_store")
    args.io_floor = os.path.join(build, "bench", "io_floor")
    for path in (args.regsweep, args.gen_store, args.io_floor):
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
    finally:
        if not args.keep:
            if made_work:
                remove_tree(args.work)
            else:
                for size in args.sizes:
                    remove_tree(os.path.join(args.work, f"size-{size}"))
    rows = table_rows(results)
    print_table(rows)
    write_markdown(args, markdown_run(args, results, rows, info, started,
                                      load_before, loadavg()))
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
