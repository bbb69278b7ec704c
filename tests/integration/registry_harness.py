"""Harness for integration tests against the real registry (Python 3 stdlib).

What it gives a test:
  * Registry: a private `docker-registry serve` on 127.0.0.1 and a free port,
    with its own config and storage root, usable as a context manager. It is
    stopped on exit, on exceptions, on SIGINT/SIGTERM (see install_signal_
    handlers) and, should the test process be killed outright, by the kernel
    (PR_SET_PDEATHSIG).
  * A minimal registry HTTP API client (blob upload, manifest put/get/delete).
  * skopeo helpers (push an OCI layout, pull a tag to a `dir:` copy).
  * distribution_gc(): runs `docker-registry garbage-collect` and parses what
    distribution 2.8.2 prints.
  * run_regsweep_gc() / run_regsweep_dropin(): run the binary under test.
  * TestRun: counts checks and prints the final `N passed, N failed` line.

Everything a test creates lives under one temporary directory (TempDir) that
is removed at the end unless the caller asks to keep it.
"""

import atexit
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

DOCKER_REGISTRY = "docker-registry"
SKOPEO = "skopeo"

# ---------------------------------------------------------------------------
# Test bookkeeping


class TestRun:
    """Counts checks; prints failures as they happen and the summary line."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def check(self, condition, what, detail=""):
        if condition:
            self.passed += 1
            print(f"PASS {what}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {what}", flush=True)
            if detail:
                for line in str(detail).splitlines():
                    print(f"     {line}", flush=True)
        return bool(condition)

    def check_sets(self, actual, expected, what, names=None):
        """Passes when two sets are equal; otherwise shows both differences,
        naming each digest with `names` (digest -> description) when known."""
        actual, expected = set(actual), set(expected)
        if actual == expected:
            return self.check(True, what)
        names = names or {}
        lines = []
        for label, items in (("unexpected (only in actual)", actual - expected),
                             ("missing (only in expected)", expected - actual)):
            for item in sorted(items, key=str):
                lines.append(f"{label}: {item}  {describe(item, names)}")
        return self.check(False, what, "\n".join(lines))

    def crash(self, where):
        """Records an unexpected exception as one failure."""
        self.failed += 1
        print(f"FAIL {where}: unexpected exception", flush=True)
        traceback.print_exc()
        sys.stdout.flush()

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 0 if self.failed == 0 and self.passed > 0 else 1


def describe(item, names):
    if isinstance(item, tuple):
        return names.get(item, names.get(item[-1], ""))
    return names.get(item, "")


# ---------------------------------------------------------------------------
# Processes, signals and temporary directories

_live_registries = set()


def stop_all_registries():
    for reg in list(_live_registries):
        reg.stop()


atexit.register(stop_all_registries)


def install_signal_handlers():
    """Turns SIGINT, SIGTERM and SIGHUP into KeyboardInterrupt so that
    `finally` blocks and context managers stop registries and remove temp
    dirs. SIGINT is set explicitly because a shell starting the test in the
    background may have left it ignored."""
    def handler(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, handler)


def _die_with_parent():
    """preexec_fn: the child gets SIGTERM if this test process dies, so a
    killed test (ctest timeout sends SIGKILL) leaves no registry behind."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except Exception:  # best effort only; not Linux or no prctl
        pass


class TempDir:
    """A temporary directory removed on exit unless keep is true."""

    def __init__(self, prefix, keep=False):
        self.keep = keep
        self.path = tempfile.mkdtemp(prefix=prefix)

    def __enter__(self):
        return self.path

    def __exit__(self, *exc):
        if self.keep:
            print(f"kept temporary directory {self.path}", flush=True)
        else:
            shutil.rmtree(self.path, ignore_errors=True)
        return False


def run(cmd, check=True, timeout=600, env=None):
    """Runs a command, capturing text output. Raises CommandError when
    check is set and the exit code is not 0."""
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=timeout, env=env,
                          stdin=subprocess.DEVNULL)
    if check and proc.returncode != 0:
        raise CommandError(cmd, proc)
    return proc


class CommandError(Exception):
    def __init__(self, cmd, proc):
        self.cmd, self.proc = cmd, proc
        super().__init__(
            f"{' '.join(cmd)} exited {proc.returncode}\n"
            f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}")


def free_port():
    """A port that was free on 127.0.0.1 a moment ago. The registry may still
    lose a race for it; Registry.start() retries with another port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------
# The registry


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
  addr: 127.0.0.1:{port}
"""


class Registry:
    """A docker-registry process over a filesystem store.

    root: the storage root directory (contains docker/ once something is
    pushed). config: the YAML config path. The config is rewritten with a new
    port on every start(); the root stays the same, so a store can be
    collected offline and served again.
    """

    def __init__(self, workdir, name="registry"):
        self.workdir = workdir
        self.root = os.path.join(workdir, name + "-store")
        self.config = os.path.join(workdir, name + "-config.yml")
        self.log_path = os.path.join(workdir, name + ".log")
        self.port = None
        self.proc = None
        os.makedirs(self.root, exist_ok=True)
        self._write_config(free_port())

    # -- lifecycle --------------------------------------------------------

    def _write_config(self, port):
        self.port = port
        with open(self.config, "w") as f:
            f.write(CONFIG_TEMPLATE.format(root=self.root, port=port))

    @property
    def host(self):
        return f"127.0.0.1:{self.port}"

    @property
    def url(self):
        return f"http://{self.host}"

    def start(self, attempts=5):
        if self.proc is not None:
            return
        last = ""
        for _ in range(attempts):
            self._write_config(free_port())
            log = open(self.log_path, "a")
            self.proc = subprocess.Popen(
                [DOCKER_REGISTRY, "serve", self.config],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True, preexec_fn=_die_with_parent)
            log.close()
            _live_registries.add(self)
            if self._wait_ready(30):
                return
            self.stop()
            last = self._log_tail()
        raise RuntimeError(f"docker-registry did not start:\n{last}")

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False  # exited: most likely the port was taken
            try:
                with urllib.request.urlopen(self.url + "/v2/", timeout=2) as r:
                    if r.status == 200:
                        return True
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.1)
        return False

    def stop(self):
        """Stops the process (SIGTERM, then SIGKILL). Safe to call twice."""
        proc, self.proc = self.proc, None
        _live_registries.discard(self)
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def _log_tail(self):
        try:
            with open(self.log_path) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- HTTP API ---------------------------------------------------------

    def request(self, method, path, data=None, headers=None, expect=None):
        """One HTTP request to the registry. Returns (status, headers, body).
        Raises RuntimeError if `expect` (a status or a tuple) does not match."""
        url = path if path.startswith("http") else self.url + path
        req = urllib.request.Request(url, data=data, method=method,
                                     headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, hdrs, body = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, hdrs, body = e.code, e.headers, e.read()
        if expect is not None:
            allowed = expect if isinstance(expect, tuple) else (expect,)
            if status not in allowed:
                raise RuntimeError(f"{method} {url}: HTTP {status}, expected "
                                   f"{allowed}: {body[:1000]!r}")
        return status, hdrs, body

    def upload_blob(self, repo, digest, data):
        """Monolithic upload: POST an upload session, PUT the bytes."""
        _, hdrs, _ = self.request("POST", f"/v2/{repo}/blobs/uploads/",
                                  data=b"", expect=202)
        location = hdrs["Location"]
        if not location.startswith("http"):
            location = self.url + location
        sep = "&" if "?" in location else "?"
        self.request("PUT", f"{location}{sep}digest={digest}", data=data,
                     headers={"Content-Type": "application/octet-stream",
                              "Content-Length": str(len(data))},
                     expect=201)

    def put_manifest(self, repo, reference, media_type, data):
        """PUT a manifest by tag or digest. Returns the digest the registry
        reports (Docker-Content-Digest)."""
        _, hdrs, _ = self.request("PUT", f"/v2/{repo}/manifests/{reference}",
                                  data=data,
                                  headers={"Content-Type": media_type},
                                  expect=201)
        return hdrs.get("Docker-Content-Digest")

    def get_manifest(self, repo, reference, accept):
        """Returns (status, body) of GET /v2/<repo>/manifests/<reference>."""
        status, _, body = self.request(
            "GET", f"/v2/{repo}/manifests/{reference}",
            headers={"Accept": ", ".join(accept)})
        return status, body

    def delete_manifest(self, repo, digest):
        self.request("DELETE", f"/v2/{repo}/manifests/{digest}", expect=202)

    def blob_status(self, repo, digest):
        status, _, _ = self.request("HEAD", f"/v2/{repo}/blobs/{digest}")
        return status

    # -- skopeo -----------------------------------------------------------

    def push_oci(self, layout_dir, ref, repo, tag, all_images=False):
        """skopeo copy of an OCI layout reference to REPO:TAG, keeping the
        manifest digests byte for byte."""
        cmd = [SKOPEO, "--insecure-policy", "--tmpdir", self.workdir, "copy",
               "--quiet", "--preserve-digests", "--dest-tls-verify=false"]
        if all_images:
            cmd.append("--all")
        cmd += [f"oci:{layout_dir}:{ref}", f"docker://{self.host}/{repo}:{tag}"]
        run(cmd, timeout=300)

    def pull_dir(self, repo, tag, dest_dir, all_images=False):
        """skopeo copy of REPO:TAG to a `dir:` destination. skopeo verifies
        every digest it reads, so success means the image is intact.
        Returns the CompletedProcess (check returncode)."""
        cmd = [SKOPEO, "--insecure-policy", "--tmpdir", self.workdir, "copy",
               "--quiet", "--src-tls-verify=false"]
        if all_images:
            cmd.append("--all")
        cmd += [f"docker://{self.host}/{repo}:{tag}", f"dir:{dest_dir}"]
        return run(cmd, check=False, timeout=300)


# ---------------------------------------------------------------------------
# distribution's garbage collector

_BLOB_RE = re.compile(r"^blob eligible for deletion: (\S+)$")
# distribution 2.8.2 prints "manifest eligible for deletion: <digest>" with no
# repository; the optional "<repo>: " prefix tolerates other versions.
_MANIFEST_RE = re.compile(
    r"^(?:(?P<repo>\S+): )?manifest eligible for deletion: (?P<digest>\S+)$")
_MARK_RE = re.compile(r"^(?P<repo>\S+): marking (?:manifest|blob) (?P<d>\S+)")
_SUMMARY_RE = re.compile(
    r"^(\d+) blobs marked, (\d+) blobs and (\d+) manifests eligible for "
    r"deletion$")


class GcOutput:
    """What a garbage-collect run printed, parsed.

    blobs_eligible: set of digests; manifests_eligible: list of
    (repo or None, digest) in print order; marked, blobs_count,
    manifests_count: the summary numbers (None when missing)."""

    def __init__(self, text, returncode=0, stderr=""):
        self.text = text
        self.stderr = stderr
        self.returncode = returncode
        self.blobs_eligible = set()
        self.manifests_eligible = []
        self.marked_digests = set()
        self.marked = self.blobs_count = self.manifests_count = None
        self.eligible_lines = set()
        self.unparsed = []
        for raw in text.splitlines():
            line = raw.strip()
            if not line:
                continue
            m = _BLOB_RE.match(line)
            if m:
                self.blobs_eligible.add(m.group(1))
                self.eligible_lines.add(line)
                continue
            m = _MANIFEST_RE.match(line)
            if m:
                self.manifests_eligible.append((m.group("repo"),
                                                m.group("digest")))
                self.eligible_lines.add(line)
                continue
            m = _SUMMARY_RE.match(line)
            if m:
                self.marked, self.blobs_count, self.manifests_count = map(
                    int, m.groups())
                continue
            m = _MARK_RE.match(line)
            if m:
                self.marked_digests.add(m.group("d"))
                continue
            self.unparsed.append(line)

    @property
    def manifest_digests(self):
        return {d for _, d in self.manifests_eligible}

    @property
    def summary(self):
        return (self.marked, self.blobs_count, self.manifests_count)


def distribution_gc(config, dry_run=True, delete_untagged=False):
    """Runs distribution's collector; the registry must not be serving."""
    cmd = [DOCKER_REGISTRY, "garbage-collect"]
    if dry_run:
        cmd.append("--dry-run")
    if delete_untagged:
        cmd.append("--delete-untagged")
    cmd.append(config)
    proc = run(cmd, timeout=600)
    out = GcOutput(proc.stdout, proc.returncode, proc.stderr)
    if out.summary[0] is None:
        raise RuntimeError("no summary line in distribution output:\n"
                           + proc.stdout[-4000:] + proc.stderr[-4000:])
    return out


# ---------------------------------------------------------------------------
# regsweep


class RegsweepResult:
    """One `regsweep gc` run: exit code, outputs and the parsed --json."""

    def __init__(self, cmd, proc, report):
        self.cmd = cmd
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.report = report

    @property
    def blobs_eligible(self):
        return set(self.report.get("blobs_eligible", []))

    @property
    def manifests_eligible(self):
        return {(m["repository"], m["digest"])
                for m in self.report.get("manifests_eligible", [])}

    def describe(self):
        return (f"command: {' '.join(self.cmd)}\nexit: {self.returncode}\n"
                f"stdout:\n{self.stdout[-3000:]}\nstderr:\n"
                f"{self.stderr[-3000:]}")


def run_regsweep_gc(regsweep, store, json_path, dry_run=False,
                    delete_untagged=False, grace="0", extra=()):
    """Runs `regsweep gc STORE ... --json FILE` and loads the JSON report
    (an empty dict if the file was not written). grace=None leaves the
    binary's default grace period."""
    cmd = [regsweep, "gc", store, "--json", json_path]
    if grace is not None:
        cmd += ["--grace", grace]
    if dry_run:
        cmd.append("--dry-run")
    if delete_untagged:
        cmd.append("--delete-untagged")
    cmd += list(extra)
    if os.path.exists(json_path):
        os.remove(json_path)
    proc = run(cmd, check=False, timeout=600)
    report = {}
    if os.path.exists(json_path):
        try:
            with open(json_path) as f:
                report = json.load(f)
        except ValueError as e:
            report = {"_json_error": str(e)}
    return RegsweepResult(cmd, proc, report)


def run_regsweep_dropin(regsweep, config, dry_run=True, delete_untagged=False,
                        grace="0"):
    """Runs the distribution-compatible `regsweep garbage-collect CONFIG`."""
    cmd = [regsweep, "garbage-collect", config, "--grace", grace]
    if dry_run:
        cmd.append("--dry-run")
    if delete_untagged:
        cmd.append("--delete-untagged")
    proc = run(cmd, check=False, timeout=600)
    return cmd, proc, GcOutput(proc.stdout, proc.returncode, proc.stderr)


# ---------------------------------------------------------------------------
# Store inspection


def blob_data_path(root, digest):
    alg, hexpart = digest.split(":", 1)
    return os.path.join(root, "docker", "registry", "v2", "blobs", alg,
                        hexpart[:2], hexpart, "data")


def blobs_on_disk(root):
    """Every digest that has a blob data file in the store."""
    base = os.path.join(root, "docker", "registry", "v2", "blobs")
    found = set()
    if not os.path.isdir(base):
        return found
    for alg in os.listdir(base):
        for prefix in os.listdir(os.path.join(base, alg)):
            pdir = os.path.join(base, alg, prefix)
            for hexpart in os.listdir(pdir):
                if os.path.isfile(os.path.join(pdir, hexpart, "data")):
                    found.add(f"{alg}:{hexpart}")
    return found


def revisions_on_disk(root):
    """Every (repository, digest) with a revision link in the store."""
    base = os.path.join(root, "docker", "registry", "v2", "repositories")
    found = set()
    for dirpath, dirnames, _ in os.walk(base):
        if os.path.basename(dirpath) != "_manifests":
            continue
        repo = os.path.relpath(os.path.dirname(dirpath), base)
        rev = os.path.join(dirpath, "revisions")
        for alg in os.listdir(rev) if os.path.isdir(rev) else []:
            for hexpart in os.listdir(os.path.join(rev, alg)):
                if os.path.isfile(os.path.join(rev, alg, hexpart, "link")):
                    found.add((repo, f"{alg}:{hexpart}"))
        dirnames[:] = []
    return found


def dangling_layer_links(root):
    """(repository, digest) of every `_layers` link whose blob is missing."""
    base = os.path.join(root, "docker", "registry", "v2", "repositories")
    found = set()
    for dirpath, dirnames, _ in os.walk(base):
        if os.path.basename(dirpath) != "_layers":
            continue
        repo = os.path.relpath(os.path.dirname(dirpath), base)
        for alg in os.listdir(dirpath):
            for hexpart in os.listdir(os.path.join(dirpath, alg)):
                link = os.path.join(dirpath, alg, hexpart, "link")
                if not os.path.isfile(link):
                    continue
                with open(link) as f:
                    digest = f.read().strip()
                if not os.path.isfile(blob_data_path(root, digest)):
                    found.add((repo, digest))
        dirnames[:] = []
    return found


# ---------------------------------------------------------------------------
# Command line shared by the test scripts


def parse_args(argv, description):
    import argparse
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--regsweep", required=True,
                   help="path of the regsweep binary under test")
    p.add_argument("--gen-store", default=None, help="ignored")
    p.add_argument("--keep", action="store_true",
                   help="keep the temporary directory for inspection")
    p.add_argument("--distribution-only", action="store_true",
                   help="test_differential only: check only distribution's "
                        "side (development aid; the regsweep checks are "
                        "skipped, not passed)")
    return p.parse_args(argv)


def require_tools():
    missing = [t for t in (DOCKER_REGISTRY, SKOPEO) if shutil.which(t) is None]
    if missing:
        raise RuntimeError("missing tools: " + ", ".join(missing))


def run_parts(name, description, argv, parts):
    """The main() of a test made of independent parts, each called as
    part(t, args, workdir): one failing part is reported and the next runs;
    registries are stopped after each. Returns the exit status."""
    args = parse_args(argv[1:], description)
    install_signal_handlers()
    t = TestRun(name)
    try:
        require_tools()
        with TempDir(f"regsweep-{name}-", keep=args.keep) as wd:
            for part in parts:
                try:
                    part(t, args, wd)
                except (KeyboardInterrupt, SystemExit):
                    raise
                except Exception:
                    t.crash(part.__name__)
                finally:
                    stop_all_registries()
    except KeyboardInterrupt as e:
        t.check(False, f"interrupted ({e})")
    except Exception:
        t.crash("setup")
    finally:
        stop_all_registries()
    return t.finish()
