#!/usr/bin/env python3
"""End-to-end benchmark on S3: regsweep against distribution's
garbage-collect on the same bucket of a real RADOS Gateway.

    python3 bench/s3_e2e.py --build BUILD_DIR [--blobs 100000]
        [--cases dry,dry-m,real-m] [--paths proxy,loopback]
        [--repeats 3] [--delay-ms 20] [--work DIR] [--out bench/RESULTS.md]

It generates a store with BUILD_DIR/gen_store (fixed seed), starts a
single-node gateway on loopback (tests/integration/rgw.py, memstore), and
loads the store into the bucket with parallel PUTs (tests/integration/
s3_load.py; its rate is reported). Then, for each path:

  proxy     every request goes through tests/integration/s3_proxy.py,
            which adds --delay-ms to each (a cloud region's first-byte
            latency) and counts requests by kind. Distribution's runs
            come first, one of each case (each takes up to an hour at 100k
            blobs); they run at the same time, each through its own proxy
            and on its own copy of the store where it deletes, because
            each is one sequential stream of requests that waits on the
            delay, not on the machine. Then regsweep's, --repeats of each,
            one at a time.
  loopback  straight to the gateway; --repeats of regsweep alternated
            with one of distribution per case, one run at a time.

Cases: dry (`garbage-collect --dry-run` vs `regsweep gc --dry-run`),
dry-m (the same with -m / --delete-untagged), real and real-m (real runs;
the copy they ran on is put back as loaded before the next run: every
deleted key is PUT again from the generated files, not timed).

regsweep runs with a fresh, empty --index every time (a full pass),
--grace 0 and its default --s3-concurrency. Both tools' eligible blob
counts are checked against each other on every dry run of the default
mode (they must be equal). Figures: wall time (median over the repeats),
peak RSS, requests by kind (from the proxy; on loopback from regsweep's
own report). Results go to stdout and, as Markdown with the machine and
the command, appended to --out. Python 3 standard library only.
"""

import argparse
import json
import os
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

import e2e  # noqa: E402
import rgw  # noqa: E402
import s3_load  # noqa: E402

PROXY = os.path.join(HERE, "..", "tests", "integration", "s3_proxy.py")
CASES = ("dry", "dry-m", "real", "real-m")
REQUEST_KINDS = ("list", "get", "head", "put", "delete_objects", "delete")


def log(message):
    e2e.log(time.strftime("%H:%M:%S ") + message)


class Proxy:
    """s3_proxy.py in its own process (so that its work does not share an
    interpreter with anything else), counting; counts() after stop()."""

    def __init__(self, target, delay_ms, work):
        self.count_file = tempfile.mktemp(prefix="proxy-counts-", dir=work)
        self.proc = subprocess.Popen(
            [sys.executable, PROXY, "--listen", "0", "--target", target,
             "--delay-ms", str(delay_ms), "--count-file", self.count_file],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening on "):
            raise RuntimeError(f"the proxy did not start: {line!r}")
        self.url = line.split()[2]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        with open(self.count_file) as f:
            counts = json.load(f)
        os.remove(self.count_file)
        return {k: counts["requests"].get(k, 0) for k in REQUEST_KINDS}


class Bench:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.gateway = None
        self.files = []  # (relative path, size) of the generated store
        self.store_dir = os.path.join(work, "store")
        self.results = []  # dicts, in the order measured
        self.load_stats = None
        self.dropped = []
        self.counter = 0

    # -- setup --------------------------------------------------------

    def setup(self):
        log(f"generating {self.args.blobs} blobs")
        e2e.run_untimed([self.args.gen_store, "--root", self.store_dir,
                         "--seed", str(e2e.SEED), "--blobs",
                         str(self.args.blobs)], "gen_store")
        self.drop_tagless_repositories()
        self.files = [(rel, size) for rel, size in
                      s3_load.store_files(self.store_dir)
                      if rel.startswith("docker/")]
        self.gateway = rgw.RadosGateway(
            bucket="bench", memstore_bytes=self.args.memstore_gib << 30,
            quiet_logs=True)
        self.gateway.start()
        log(f"gateway up at {self.gateway.endpoint} in "
            f"{self.gateway.startup_seconds:.1f} s")

    def drop_tagless_repositories(self):
        """Leaves out of the bucket every repository with no tag left (the
        generator makes a few): on S3 an empty tags/ prefix does not exist,
        and distribution 2.8.2's -m then stops ("failed to retrieve tags
        unknown repository"). regsweep collects such stores; the benchmark
        needs a store both can."""
        repos = os.path.join(self.store_dir, "docker", "registry", "v2",
                             "repositories")
        dropped = []
        for dirpath, dirnames, _ in os.walk(repos):
            if "_manifests" in dirnames:
                tags = os.path.join(dirpath, "_manifests", "tags")
                if not os.path.isdir(tags) or not os.listdir(tags):
                    dropped.append(os.path.relpath(dirpath, repos))
                dirnames[:] = []
        for name in dropped:
            e2e.remove_tree(os.path.join(repos, name))
        self.dropped = dropped
        log(f"left out {len(dropped)} repositories without tags: {dropped}")

    def load(self, prefix):
        client = self.gateway.client()
        stats = s3_load.upload_store(client, self.store_dir, prefix,
                                     threads=self.args.load_threads,
                                     progress=False)
        log(f"loaded {prefix}: {stats['objects']} objects in "
            f"{stats['seconds']:.0f} s, {stats['objects_per_s']:.0f}/s")
        if self.load_stats is None:
            self.load_stats = stats
        client.close()

    def put_back(self, prefix):
        """PUTs every generated file whose key is missing below prefix."""
        client = self.gateway.client()
        base = prefix.strip("/") + "/"
        have = client.keys(base + "docker/")
        missing = [rel for rel, _ in self.files if base + rel not in have]

        def put(rel):
            with open(os.path.join(self.store_dir, rel), "rb") as f:
                client.put_object(base + rel, f.read())
        rgw._parallel(self.args.load_threads, missing, put)
        client.close()
        log(f"  put back {len(missing)} objects below {base}")

    # -- the tools ----------------------------------------------------

    def _scratch(self, name):
        self.counter += 1
        return os.path.join(self.work, f"{self.counter:04d}-{name}")

    def config(self, endpoint, prefix):
        path = self._scratch("config.yml")
        gw = self.gateway
        with open(path, "w") as f:
            f.write(rgw.S3_CONFIG_TEMPLATE.format(
                access_key=gw.access_key, secret_key=gw.secret_key,
                region=gw.region, endpoint=endpoint, bucket=gw.bucket,
                rootdirectory="/" + prefix.strip("/"), port=0))
        return path

    def distribution(self, case, endpoint, prefix):
        cmd = [e2e.DISTRIBUTION, "garbage-collect"]
        if case.startswith("dry"):
            cmd.append("--dry-run")
        if case.endswith("-m"):
            cmd.append("--delete-untagged")
        cmd.append(self.config(endpoint, prefix))
        out = self._scratch("distribution.out")
        m = e2e.measure(cmd, out, env=rgw.registry_env())
        if m.returncode != 0:
            raise RuntimeError(f"distribution exited {m.returncode}: "
                               f"{shlex.join(cmd)}\n{m.stderr[-2000:]}")
        m.eligible, m.manifests_eligible = e2e.distribution_summary(out)
        m.requests = None
        return m

    def wait_for_gate(self):
        """With --wait-for FILE, regsweep's first run waits until FILE
        exists (so that a long distribution phase can start before the
        binary under test is final)."""
        gate = self.args.wait_for
        if gate and not os.path.exists(gate):
            log(f"waiting for {gate}")
            while not os.path.exists(gate):
                time.sleep(5)

    def ours(self, case, endpoint, prefix):
        self.wait_for_gate()
        index = tempfile.mkdtemp(prefix="index-", dir=self.work)
        report = self._scratch("ours.json")
        cmd = [self.args.regsweep, "gc",
               f"s3://{self.gateway.bucket}/{prefix.strip('/')}",
               "--s3-endpoint", endpoint, "--s3-region", self.gateway.region,
               "--grace", "0", "-q", "--index", index, "--json", report]
        if case.startswith("dry"):
            cmd.append("--dry-run")
        if case.endswith("-m"):
            cmd.append("-m")
        env = self.gateway.aws_env(rgw.registry_env())
        m = e2e.measure(cmd, self._scratch("ours.out"), env=env)
        if m.returncode not in (0, 1):
            raise RuntimeError(f"regsweep exited {m.returncode}: "
                               f"{shlex.join(cmd)}\n{m.stderr[-2000:]}")
        with open(report) as f:
            r = json.load(f)
        m.eligible = len(r.get("blobs_eligible", []))
        m.manifests_eligible = len(r.get("manifests_eligible", []))
        m.deleted = r.get("blobs_deleted")
        req = r.get("store_requests") or {}
        m.requests = {"list": req.get("list", 0), "get": req.get("get", 0),
                      "head": req.get("head", 0),
                      "delete_objects": req.get("delete_objects", 0)}
        subprocess.run(["rm", "-rf", index], check=False)
        return m

    def run(self, tool, case, path, prefix, repeat):
        proxy = None
        endpoint = self.gateway.endpoint
        if path == "proxy":
            proxy = Proxy(self.gateway.endpoint, self.args.delay_ms, self.work)
            endpoint = proxy.url
        log(f"{path} {case} {tool} (repeat {repeat + 1}) on {prefix}")
        try:
            m = (self.ours if tool == "ours" else self.distribution)(
                case, endpoint, prefix)
        finally:
            counts = proxy.stop() if proxy else None
        if counts is not None:
            m.requests = counts
        row = {"path": path, "case": case, "tool": tool, "repeat": repeat,
               "wall": round(m.wall, 3), "cpu": round(m.cpu, 3),
               "rss_mib": round(m.rss_kib / 1024, 1),
               "eligible": m.eligible,
               "manifests_eligible": m.manifests_eligible,
               "deleted": getattr(m, "deleted", None),
               "requests": m.requests, "load": m.load}
        self.results.append(row)
        log(f"  {m.wall:.1f} s, {row['rss_mib']} MiB, eligible "
            f"{m.eligible}, requests {m.requests}")
        self.save()
        if case.startswith("real"):
            self.put_back(prefix)
        return row

    def save(self):
        with open(os.path.join(self.work, "results.json"), "w") as f:
            json.dump({"load": self.load_stats, "runs": self.results}, f,
                      indent=1)

    # -- the plan -----------------------------------------------------

    def distribution_through_proxy(self, cases):
        """One run of each case, at the same time, each through its own
        proxy; each real case on its own copy of the store."""
        jobs = []
        copies = 0
        for case in cases:
            prefix = "a"
            if case.startswith("real"):
                copies += 1
                prefix = f"d{copies}"
                self.load(prefix)
            jobs.append((case, prefix))
        errors = []

        def one(case, prefix):
            try:
                self.run("distribution", case, "proxy", prefix, 0)
            except Exception as e:  # noqa: BLE001 - re-raised below
                errors.append(e)
        threads = [threading.Thread(target=one, args=job) for job in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]

    def plan(self):
        cases = self.args.cases
        self.load("a")
        for path in self.args.paths:
            if path == "proxy":
                if self.args.distribution:
                    self.distribution_through_proxy(cases)
                for repeat in range(self.args.repeats):
                    for case in cases:
                        self.run("ours", case, "proxy", "a", repeat)
            else:
                for repeat in range(self.args.repeats):
                    for case in cases:
                        tools = ["ours"]
                        if self.args.distribution and repeat == 0:
                            tools = ["distribution", "ours"]
                        for tool in tools:
                            self.run(tool, case, "loopback", "a", repeat)
        self.check_agreement()

    def check_agreement(self):
        for path in self.args.paths:
            dist = [r for r in self.results if r["path"] == path and
                    r["tool"] == "distribution" and r["case"] == "dry"]
            ours = [r for r in self.results if r["path"] == path and
                    r["tool"] == "ours" and r["case"] == "dry"]
            for d in dist:
                for o in ours:
                    if o["eligible"] != d["eligible"]:
                        raise e2e.Mismatch(
                            f"{path} dry: regsweep names {o['eligible']} "
                            f"blobs, distribution {d['eligible']}")


# ---------------------------------------------------------------------------
# Report


def table(results):
    rows = []
    keys = []
    for r in results:
        k = (r["path"], r["case"])
        if k not in keys:
            keys.append(k)
    for path, case in keys:
        def runs(tool):
            return [r for r in results if r["path"] == path and
                    r["case"] == case and r["tool"] == tool]
        ours, dist = runs("ours"), runs("distribution")
        if not ours:
            continue
        ow = statistics.median(r["wall"] for r in ours)
        dw = statistics.median(r["wall"] for r in dist) if dist else None
        rows.append({
            "path": path, "case": case,
            "ours_wall": [r["wall"] for r in ours], "ours_median": ow,
            "dist_wall": dw, "ratio": round(dw / ow, 1) if dw else None,
            "ours_rss": max(r["rss_mib"] for r in ours),
            "dist_rss": max(r["rss_mib"] for r in dist) if dist else None,
            "ours_requests": ours[-1]["requests"],
            "dist_requests": dist[-1]["requests"] if dist else None,
            "eligible": ours[-1]["eligible"],
            "dist_eligible": dist[-1]["eligible"] if dist else None})
    return rows


def requests_text(req):
    if not req:
        return "-"
    short = {"list": "L", "get": "G", "head": "H", "put": "P",
             "delete_objects": "DO", "delete": "D"}
    total = sum(req.values())
    parts = [f"{short[k]} {v}" for k, v in req.items() if v]
    return f"{total} ({', '.join(parts)})"


def markdown(args, bench, rows, info, started):
    lines = [f"## S3 (RADOS Gateway on loopback), {args.blobs} blobs, "
             f"{started}", ""]
    lines.append("Command: `" + shlex.join(
        ["python3", "bench/s3_e2e.py", *sys.argv[1:]]) + "`")
    lines.append("")
    for k, v in info.items():
        lines.append(f"- {k}: {v}")
    ls = bench.load_stats or {}
    lines.append(f"- store: {ls.get('objects')} objects, "
                 f"{ls.get('bytes', 0) / 1e6:.0f} MB; loaded with "
                 f"{ls.get('threads')} parallel PUTs at "
                 f"{ls.get('objects_per_s')} objects/s")
    lines.append(f"- left out of the bucket: {len(bench.dropped)} "
                 "repositories without tags (distribution's -m stops on "
                 "them on S3)")
    lines.append(f"- proxy delay: {args.delay_ms} ms per request; requests "
                 "counted by the proxy (loopback: regsweep's own report, "
                 "distribution's counts are those of its proxied run)")
    lines.append("")
    lines.append("| path | case | regsweep s (median; runs) | distribution s "
                 "| ratio | RSS MiB ours / dist | requests ours | requests "
                 "distribution | eligible |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        runs = ", ".join(f"{w:.1f}" for w in r["ours_wall"])
        dist = f"{r['dist_wall']:.1f}" if r["dist_wall"] else "-"
        ratio = f"{r['ratio']}x" if r["ratio"] else "-"
        rss = f"{r['ours_rss']} / {r['dist_rss'] or '-'}"
        lines.append(
            f"| {r['path']} | {r['case']} | {r['ours_median']:.1f} ({runs}) "
            f"| {dist} | {ratio} | {rss} | "
            f"{requests_text(r['ours_requests'])} | "
            f"{requests_text(r['dist_requests'])} | {r['eligible']}"
            f" / {r['dist_eligible'] if r['dist_eligible'] is not None else '-'}"
            " |")
    lines.append("")
    return "\n".join(lines) + "\n"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build", required=True, help="the CMake build dir")
    p.add_argument("--blobs", type=int, default=100000)
    p.add_argument("--regsweep", help="the binary (default BUILD/regsweep)")
    p.add_argument("--wait-for", metavar="FILE",
                   help="regsweep's runs wait until FILE exists")
    p.add_argument("--cases", default="dry,dry-m,real-m")
    p.add_argument("--paths", default="proxy,loopback")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--no-distribution", dest="distribution",
                   action="store_false", help="regsweep's runs only")
    p.add_argument("--delay-ms", type=float, default=20.0)
    p.add_argument("--memstore-gib", type=int, default=16)
    p.add_argument("--load-threads", type=int, default=32)
    p.add_argument("--work", help="work directory (default: a new one)")
    p.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    args = p.parse_args(argv[1:])
    args.cases = [c for c in args.cases.split(",") if c]
    args.paths = [c for c in args.paths.split(",") if c]
    for c in args.cases:
        if c not in CASES:
            p.error(f"unknown case {c!r}")
    args.gen_store = os.path.join(args.build, "gen_store")
    args.regsweep = args.regsweep or os.path.join(args.build, "regsweep")
    e2e.RUN_MEASURED = os.path.join(args.build, "bench", "run_measured")
    return args


def main(argv):
    args = parse_args(argv)
    work = args.work or tempfile.mkdtemp(prefix="regsweep-s3-bench-")
    os.makedirs(work, exist_ok=True)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    bench = Bench(args, work)
    try:
        bench.setup()
        bench.plan()
    finally:
        if bench.gateway:
            bench.gateway.stop()
        bench.save()
        log(f"results in {work}/results.json")
    rows = table(bench.results)
    info = e2e.machine_info(work)
    text = markdown(args, bench, rows, info, started)
    print(text)
    with open(args.out, "a") as f:
        f.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
