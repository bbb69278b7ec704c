"""A real S3 server on loopback for the S3 backend's tests (Python 3 stdlib).

What it gives a test:
  * RadosGateway: a single-node Ceph cluster (one monitor, one memstore
    OSD, no manager) and `radosgw` on 127.0.0.1 and free ports, every file
    in one temporary directory, as a context manager. It creates a user
    with the given keys (radosgw-admin) and a bucket, and gives endpoint,
    keys and bucket. Every daemon it started is stopped by its PID on exit,
    on exceptions, at interpreter exit, and (PR_SET_PDEATHSIG) when the
    test process is killed outright. When something does not start, the
    exception carries the tails of the daemons' logs.
  * S3Client: a small S3 client with its own AWS Signature Version 4
    (path-style addressing, keep-alive, thread-safe through one connection
    per thread): PUT/GET/HEAD/DELETE objects, ListObjectsV2, DeleteObjects,
    bucket creation.
  * S3Registry: registry_harness.Registry serving from the gateway
    (storage.s3), and distribution_gc_s3(): `docker-registry
    garbage-collect` on it (the oracle), both run without AWS_CA_BUNDLE in
    their environment (distribution 2.8.2's AWS SDK panics at start with
    it: "LoadCustomCABundleError").
  * Store inspection from a bucket listing: blobs_in_keys(),
    revisions_in_keys(), ... the S3 counterparts of registry_harness's
    blobs_on_disk() and friends.

Run it alone to try it: `python3 rgw.py` starts a gateway, prints its
endpoint and keys and the time it took, and waits for Ctrl-C
(`--check` instead does a PUT/GET/LIST/DELETE round trip and exits).
"""

import atexit
import base64
import datetime
import hashlib
import hmac
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import registry_harness as rh  # noqa: E402

CEPH_TOOLS = ("ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "ceph",
              "monmaptool")

DEFAULT_ACCESS_KEY = "REGSWEEPTESTACCESSKEY"
DEFAULT_SECRET_KEY = "regsweep-test-secret-key-0123456789abcdef"
DEFAULT_REGION = "us-east-1"

_S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"

# ---------------------------------------------------------------------------
# Ports


def _port_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_range(count, low=20000, high=60000, attempts=200):
    """The first port of `count` consecutive ports that were all free on
    127.0.0.1 a moment ago (a random place in [low, high))."""
    rnd = random.Random()
    for _ in range(attempts):
        base = rnd.randrange(low, high - count)
        if all(_port_free(base + i) for i in range(count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports on 127.0.0.1")


# ---------------------------------------------------------------------------
# The cluster and the gateway


def _die_with_parent(sig):
    """preexec_fn: the child gets `sig` when this process dies (as
    registry_harness._die_with_parent, with a choice of signal)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except Exception:  # best effort only
        pass

_live_gateways = set()


def stop_all_gateways():
    for gw in list(_live_gateways):
        gw.stop()


atexit.register(stop_all_gateways)

CEPH_CONF = """\
[global]
fsid = {fsid}
mon host = [v2:127.0.0.1:{mon_port}]
mon initial members = a
auth cluster required = none
auth service required = none
auth client required = none
auth supported = none
# radosgw's monitor client defaults to `secure`, which cannot work with auth
# off (it hangs at start); crc everywhere.
ms mon client mode = crc
ms mon service mode = crc
ms mon cluster mode = crc
ms client mode = crc
ms service mode = crc
ms cluster mode = crc
ms bind ipv4 = true
ms bind ipv6 = false
ms bind msgr1 = false
ms bind port min = {port_min}
ms bind port max = {port_max}
public addr = 127.0.0.1
cluster addr = 127.0.0.1
run dir = {run}
admin socket = {run}/$name.asok
pid file = {run}/$name.pid
log file = {log}/$name.log
log to stderr = false
err to stderr = true
mon cluster log file = {log}/cluster.log
crash dir = {data}/crash
keyring = {keyring}
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
osd crush chooseleaf type = 0
# A memstore OSD otherwise gets crush weight 0: no placement group would
# ever become active.
osd crush initial weight = 1
# Commit monitor changes at once, not once a second: radosgw creates its
# pools one after the other (about 2 s each with the defaults).
paxos propose interval = 0.01
paxos min wait = 0.01
mon data avail warn = 1
mon data avail crit = 0
mon pg warn min per osd = 0
osd objectstore = {objectstore}
memstore device bytes = {memstore_bytes}
# Contiguous buffers: the page set gives every object at least one 64 KiB
# page (registry links are 71 bytes: ~1 GB of RAM per 15k objects).
memstore page set = false
bluestore block create = true
bluestore block size = {bluestore_bytes}
osd op num shards = 2
osd op num threads per shard = 2
osd memory target = 939524096
osd data = {data}/osd-$id
mon data = {data}/mon-$id

[client]
log file = {log}/$name.log

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:{rgw_port} tcp_nodelay=1
rgw data = {data}/rgw
rgw init timeout = 120
rgw enable usage log = false
rgw run sync thread = false
rgw thread pool size = 128
"""

# For benchmarks: no request lines, no in-memory debug ring (a few per cent
# of the daemons' CPU). The tests keep the defaults: a failure's log tails
# then show the gateway's last requests.
QUIET_LOGS_CONF = """
[global]
debug ms = 0/0
debug osd = 0/0
debug monc = 0/0
debug objecter = 0/0
debug rados = 0/0
debug auth = 0/0
debug bluestore = 0/0
debug bluefs = 0/0
debug rocksdb = 0/0
debug mon = 0/0
debug paxos = 0/0
debug rgw = 0/0
debug civetweb = 0/0
debug asok = 0/0
debug throttle = 0/0
debug objclass = 0/0
debug filestore = 0/0
debug journal = 0/0
"""


class GatewayError(RuntimeError):
    pass


class RadosGateway:
    """A single-node Ceph cluster and radosgw, every file below `workdir`
    (a new temporary directory when None; removed on stop unless keep).

    After start(): endpoint (http://127.0.0.1:PORT), port, access_key,
    secret_key, region, bucket; client() gives an S3Client for it.
    objectstore: "memstore" (data in RAM, capped at memstore_bytes) or
    "bluestore" (a sparse file of bluestore_bytes in workdir).
    """

    def __init__(self, workdir=None, bucket="regsweep-test",
                 access_key=DEFAULT_ACCESS_KEY, secret_key=DEFAULT_SECRET_KEY,
                 region=DEFAULT_REGION, objectstore="memstore",
                 memstore_bytes=4 << 30, bluestore_bytes=20 << 30,
                 keep=False, verbose=False, quiet_logs=False,
                 extra_conf=""):
        self._own_dir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="regsweep-rgw-")
        self.dir = os.path.join(self.workdir, "ceph") if not self._own_dir \
            else self.workdir
        self.bucket = bucket
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.objectstore = objectstore
        self.memstore_bytes = memstore_bytes
        self.bluestore_bytes = bluestore_bytes
        self.keep = keep
        self.verbose = verbose
        self.quiet_logs = quiet_logs
        self.extra_conf = extra_conf
        self.procs = {}  # name -> Popen
        self.port = None
        self.startup_seconds = None
        self.timings = []  # (step, seconds since start)
        self.conf = os.path.join(self.dir, "ceph.conf")
        self.log_dir = os.path.join(self.dir, "log")

    # -- paths and commands -------------------------------------------------

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def _env(self):
        env = dict(os.environ)
        env["CEPH_CONF"] = self.conf
        env.pop("CEPH_ARGS", None)
        return env

    def _ceph(self, *args, timeout=30, check=True):
        """Runs a ceph CLI tool against this cluster (-c CONF)."""
        cmd = [args[0], "-c", self.conf] + list(args[1:])
        proc = subprocess.run(cmd, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True,
                              timeout=timeout, env=self._env(),
                              stdin=subprocess.DEVNULL)
        if check and proc.returncode != 0:
            raise GatewayError(
                f"{' '.join(cmd)} exited {proc.returncode}\n"
                f"stdout:\n{proc.stdout[-2000:]}\nstderr:\n"
                f"{proc.stderr[-2000:]}" + self.log_tails())
        return proc

    def _spawn(self, name, cmd):
        out = open(os.path.join(self.log_dir, name + ".out"), "ab")
        # SIGKILL when this process dies: on SIGTERM a memstore OSD would
        # first write all its data to disk, and the gateway waits up to 2
        # minutes for a monitor that is gone.
        sig = signal.SIGKILL
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=out, env=self._env(),
                                start_new_session=True,
                                preexec_fn=lambda: _die_with_parent(sig))
        out.close()
        self.procs[name] = proc
        _live_gateways.add(self)
        return proc

    def _mark(self, step, t0):
        self.timings.append((step, round(time.monotonic() - t0, 2)))
        if self.verbose:
            print(f"rgw: {step} at {time.monotonic() - t0:.1f} s",
                  file=sys.stderr, flush=True)

    # -- lifecycle ----------------------------------------------------------

    def start(self, timeout=90, attempts=2):
        """Starts everything; retries once from scratch (new ports) if a
        daemon does not come up, e.g. after losing a port race."""
        missing = [t for t in CEPH_TOOLS if shutil.which(t) is None]
        if missing:
            raise GatewayError("missing Ceph tools: " + ", ".join(missing)
                               + " (tools/install-deps installs them)")
        last = None
        for attempt in range(attempts):
            try:
                self._start_once(timeout)
                return self
            except GatewayError as e:
                last = e
                self._stop_daemons()
                if attempt + 1 < attempts:
                    print(f"rgw: start failed, retrying:\n{str(e)[-1500:]}",
                          file=sys.stderr, flush=True)
        raise last

    def _start_once(self, timeout):
        t0 = time.monotonic()
        deadline = t0 + timeout
        self.timings = []
        for sub in ("data", "run"):  # a retry starts from nothing
            shutil.rmtree(os.path.join(self.dir, sub), ignore_errors=True)
        for sub in ("log", "run", "data/rgw"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        base = free_port_range(40)
        mon_port, self.port = base, base + 1
        fsid = str(uuid.uuid4())
        keyring = os.path.join(self.dir, "keyring")
        with open(keyring, "w") as f:
            # Auth is off; the monitor's mkfs still wants a mon. key.
            f.write("[mon.]\n\tkey = AQAAAAAAAAAAABAAAAAAAAAAAAAAAAAAAAAAAA==\n"
                    "\tcaps mon = \"allow *\"\n")
        with open(self.conf, "w") as f:
            f.write(CEPH_CONF.format(
                fsid=fsid, mon_port=mon_port, port_min=base + 2,
                port_max=base + 39, run=os.path.join(self.dir, "run"),
                log=self.log_dir, data=os.path.join(self.dir, "data"),
                keyring=keyring, rgw_port=self.port,
                objectstore=self.objectstore,
                memstore_bytes=self.memstore_bytes,
                bluestore_bytes=self.bluestore_bytes))
            if self.quiet_logs:
                f.write(QUIET_LOGS_CONF)
            if self.extra_conf:
                f.write("\n[global]\n" + self.extra_conf + "\n")

        # Monitor.
        monmap = os.path.join(self.dir, "monmap")
        self._ceph("monmaptool", "--create", "--fsid", fsid, "--addv", "a",
                   f"[v2:127.0.0.1:{mon_port}]", monmap, "--clobber")
        self._ceph("ceph-mon", "--mkfs", "-i", "a", "--monmap", monmap,
                   "--keyring", keyring)
        self._spawn("mon.a", ["ceph-mon", "-f", "-c", self.conf, "-i", "a"])
        self._wait(lambda: self._ceph("ceph", "mon", "stat",
                                      "--connect-timeout", "5", timeout=10,
                                      check=False).returncode == 0,
                   deadline, "the monitor to answer", "mon.a")
        self._mark("monitor up", t0)

        # One OSD.
        osd_uuid = str(uuid.uuid4())
        osd_id = self._ceph("ceph", "osd", "new", osd_uuid).stdout.strip()
        if osd_id != "0":
            raise GatewayError(f"ceph osd new gave id {osd_id!r}, expected 0")
        os.makedirs(os.path.join(self.dir, "data", "osd-0"), exist_ok=True)
        self._ceph("ceph-osd", "-i", "0", "--mkfs", "--osd-uuid", osd_uuid,
                   timeout=60)
        self._spawn("osd.0", ["ceph-osd", "-f", "-c", self.conf, "-i", "0"])
        self._wait(self._osd_up, deadline, "the OSD to be up and in", "osd.0")
        self._mark("osd up", t0)

        # The gateway (it creates its pools and the default zone).
        self._spawn("client.rgw.a", ["radosgw", "-f", "-c", self.conf,
                                     "-n", "client.rgw.a"])
        self._wait(self._gateway_answers, deadline,
                   "the gateway to answer HTTP", "client.rgw.a")
        self._mark("gateway answers", t0)

        self._ceph("radosgw-admin", "user", "create", "--uid", "regsweep",
                   "--display-name", "regsweep tests",
                   "--access-key", self.access_key,
                   "--secret-key", self.secret_key, timeout=60)
        self._mark("user created", t0)
        client = self.client()
        ok = False
        while time.monotonic() < deadline:
            # The new user's keys may take a moment to be seen by the
            # gateway's cache.
            status, _, body = client.request("PUT", self.bucket)
            if status in (200, 409):  # 409 BucketAlreadyOwnedByYou
                ok = True
                break
            time.sleep(0.2)
        if not ok:
            raise GatewayError(f"bucket creation failed: HTTP {status} "
                               f"{body[:500]!r}" + self.log_tails())
        client.close()
        self._mark("bucket created", t0)
        self.startup_seconds = time.monotonic() - t0

    def _osd_up(self):
        proc = self._ceph("ceph", "osd", "dump", "-f", "json",
                          "--connect-timeout", "5", timeout=10, check=False)
        if proc.returncode != 0:
            return False
        try:
            osds = json.loads(proc.stdout).get("osds", [])
        except ValueError:
            return False
        return any(o.get("osd") == 0 and o.get("up") == 1 and o.get("in") == 1
                   for o in osds)

    def _gateway_answers(self):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                              timeout=2)
            conn.request("GET", "/")
            resp = conn.getresponse()
            resp.read()
            conn.close()
            return resp.status in (200, 403)
        except (OSError, http.client.HTTPException):
            return False

    def _wait(self, ready, deadline, what, daemon):
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    raise GatewayError(f"{name} exited {proc.returncode} "
                                       f"while waiting for {what}"
                                       + self.log_tails())
            if ready():
                return
            time.sleep(0.2)
        raise GatewayError(f"timed out waiting for {what}"
                           + self.log_tails())

    def log_tails(self, lines=25):
        """The last lines of every daemon's log and output, as text."""
        out = []
        if not os.path.isdir(self.log_dir):
            return ""
        for name in sorted(os.listdir(self.log_dir)):
            path = os.path.join(self.log_dir, name)
            try:
                with open(path, "rb") as f:
                    f.seek(0, os.SEEK_END)
                    f.seek(max(0, f.tell() - 16384))
                    text = f.read().decode(errors="replace")
            except OSError:
                continue
            tail = text.splitlines()[-lines:]
            if tail:
                out.append(f"\n--- {path} (last {len(tail)} lines) ---")
                out.extend(tail)
        return "\n".join(out)

    def _stop_daemons(self):
        """SIGTERM to the gateway (2 s to finish its log), then SIGKILL to
        everything left: the cluster's state is thrown away anyway (and a
        memstore OSD would first write all its data to disk)."""
        procs = list(self.procs.items())
        rgw_procs = [p for n, p in procs if n.startswith("client.rgw")]
        for proc in rgw_procs:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 2
        for proc in rgw_procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for _, proc in procs:
            if proc.poll() is None:
                proc.kill()
        for _, proc in procs:
            proc.wait(timeout=30)
        self.procs = {}

    def stop(self):
        """Stops every daemon this object started. Safe to call twice."""
        _live_gateways.discard(self)
        self._stop_daemons()
        if not self.keep and os.path.isdir(self.dir):
            shutil.rmtree(self.dir if self._own_dir
                          else os.path.join(self.dir, "data"),
                          ignore_errors=True)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- clients ------------------------------------------------------------

    def client(self, endpoint=None, timeout=60):
        return S3Client(endpoint or self.endpoint, self.access_key,
                        self.secret_key, self.region, self.bucket,
                        timeout=timeout)

    def aws_env(self, base=None):
        """An environment with this gateway's keys (for regsweep)."""
        env = dict(os.environ if base is None else base)
        env["AWS_ACCESS_KEY_ID"] = self.access_key
        env["AWS_SECRET_ACCESS_KEY"] = self.secret_key
        for k in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL",
                  "AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_DEFAULT_REGION"):
            env.pop(k, None)
        return env


# ---------------------------------------------------------------------------
# S3 client with Signature Version 4


def _uri_encode(text, safe="/"):
    return urllib.parse.quote(text, safe="-_.~" + safe)


class S3Error(RuntimeError):
    def __init__(self, method, target, status, body):
        self.status = status
        self.body = body
        self.code = _error_code(body)
        super().__init__(f"{method} {target}: HTTP {status} {self.code or ''}"
                         f" {body[:300]!r}")


def _error_code(body):
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    code = root.find("Code")
    return code.text if code is not None else None


def sigv4_headers(method, host, path, query, headers, payload_hash,
                  access_key, secret_key, region, service="s3", now=None):
    """Returns the headers to send (with x-amz-date, x-amz-content-sha256,
    host and Authorization) for a request. path: already URI-encoded.
    query: list of (name, value) pairs, not encoded."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    hdrs = {k.lower(): str(v) for k, v in headers.items()}
    hdrs["host"] = host
    hdrs["x-amz-date"] = amz_date
    hdrs["x-amz-content-sha256"] = payload_hash
    canonical_query = "&".join(
        f"{_uri_encode(k, '')}={_uri_encode(v, '')}"
        for k, v in sorted(query))
    names = sorted(hdrs)
    canonical_headers = "".join(
        f"{n}:{' '.join(hdrs[n].strip().split())}\n" for n in names)
    signed = ";".join(names)
    creq = "\n".join([method, path, canonical_query, canonical_headers,
                      signed, payload_hash])
    scope = f"{date}/{region}/{service}/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])

    def h(key, msg):
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()
    key = h(h(h(h(("AWS4" + secret_key).encode(), date), region), service),
            "aws4_request")
    sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    hdrs["authorization"] = (f"AWS4-HMAC-SHA256 Credential={access_key}/"
                             f"{scope}, SignedHeaders={signed}, "
                             f"Signature={sig}")
    return hdrs


class S3Client:
    """Path-style S3 requests to one endpoint and bucket. Thread-safe: each
    thread keeps its own keep-alive connection."""

    def __init__(self, endpoint, access_key, secret_key, region, bucket,
                 timeout=60, retries=3):
        u = urllib.parse.urlsplit(endpoint)
        if u.scheme != "http":
            raise ValueError(f"only http:// endpoints: {endpoint}")
        self.host = u.netloc
        self.hostname, self.port = u.hostname, u.port or 80
        self.access_key, self.secret_key = access_key, secret_key
        self.region, self.bucket = region, bucket
        self.timeout = timeout
        self.retries = retries
        self._local = threading.local()

    def _conn(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(self.hostname, self.port,
                                              timeout=self.timeout)
            self._local.conn = conn
        return conn

    def close(self):
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def request(self, method, bucket, key="", query=(), body=b"",
                headers=None):
        """One signed request; returns (status, headers, body). Retries
        connection failures and 500/503 answers (`retries` times)."""
        path = "/" + _uri_encode(bucket)
        if key:
            path += "/" + _uri_encode(key)
        query = list(query)
        qs = "&".join(f"{_uri_encode(k, '')}={_uri_encode(v, '')}"
                      if v != "" else _uri_encode(k, '')
                      for k, v in query)
        target = path + ("?" + qs if qs else "")
        payload_hash = hashlib.sha256(body).hexdigest()
        last = None
        for attempt in range(self.retries + 1):
            hdrs = sigv4_headers(method, self.host, path, query,
                                 headers or {}, payload_hash,
                                 self.access_key, self.secret_key,
                                 self.region)
            if body or method in ("PUT", "POST"):
                hdrs["content-length"] = str(len(body))
            conn = self._conn()
            try:
                conn.request(method, target, body=body or None, headers=hdrs)
                resp = conn.getresponse()
                data = resp.read()
                if resp.getheader("connection", "").lower() == "close":
                    self.close()
            except (OSError, http.client.HTTPException) as e:
                self.close()
                last = e
                time.sleep(0.05 * (attempt + 1))
                continue
            if resp.status in (500, 503) and attempt < self.retries:
                time.sleep(0.1 * (attempt + 1))
                last = S3Error(method, target, resp.status, data)
                continue
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, \
                data
        raise last if isinstance(last, S3Error) else \
            RuntimeError(f"{method} {target}: {last!r}")

    def _ok(self, method, key, status, hdrs, data, target_ok=(200, 204)):
        if status not in target_ok:
            raise S3Error(method, key, status, data)
        return status, hdrs, data

    # -- objects ----------------------------------------------------------

    def put_object(self, key, data, verify=True):
        """PUT; with verify, checks that the ETag is the body's MD5."""
        status, hdrs, body = self.request("PUT", self.bucket, key, body=data)
        self._ok("PUT", key, status, hdrs, body, (200,))
        if verify:
            etag = hdrs.get("etag", "").strip('"')
            want = hashlib.md5(data).hexdigest()
            if etag != want:
                raise RuntimeError(f"PUT {key}: ETag {etag!r}, body MD5 "
                                   f"{want}")
        return hdrs

    def get_object(self, key):
        """The object's bytes, or None if it does not exist."""
        status, hdrs, body = self.request("GET", self.bucket, key)
        if status == 404:
            return None
        self._ok("GET", key, status, hdrs, body, (200,))
        return body

    def head_object(self, key):
        """The object's headers, or None if it does not exist."""
        status, hdrs, body = self.request("HEAD", self.bucket, key)
        if status == 404:
            return None
        self._ok("HEAD", key, status, hdrs, body, (200,))
        return hdrs

    def delete_object(self, key):
        status, hdrs, body = self.request("DELETE", self.bucket, key)
        self._ok("DELETE", key, status, hdrs, body, (204, 200))

    def list_objects(self, prefix=""):
        """Every (key, size, etag) below prefix (ListObjectsV2, all pages)."""
        out = []
        token = None
        while True:
            query = [("list-type", "2"), ("prefix", prefix),
                     ("max-keys", "1000")]
            if token:
                query.append(("continuation-token", token))
            status, hdrs, body = self.request("GET", self.bucket, "",
                                              query=query)
            self._ok("LIST", prefix, status, hdrs, body, (200,))
            root = ET.fromstring(body)
            for c in root.findall(_S3_NS + "Contents"):
                out.append((c.findtext(_S3_NS + "Key"),
                            int(c.findtext(_S3_NS + "Size")),
                            (c.findtext(_S3_NS + "ETag") or "").strip('"')))
            if root.findtext(_S3_NS + "IsTruncated") != "true":
                return out
            token = root.findtext(_S3_NS + "NextContinuationToken")
            if not token:
                raise RuntimeError("truncated listing without a token")

    def keys(self, prefix=""):
        """{key: size} of every object below prefix."""
        return {k: s for k, s, _ in self.list_objects(prefix)}

    def delete_objects(self, keys):
        """DeleteObjects, 1000 keys a request; raises on any error."""
        keys = list(keys)
        for i in range(0, len(keys), 1000):
            chunk = keys[i:i + 1000]
            xml = ["<Delete><Quiet>true</Quiet>"]
            for k in chunk:
                esc = (k.replace("&", "&amp;").replace("<", "&lt;")
                       .replace(">", "&gt;"))
                xml.append(f"<Object><Key>{esc}</Key></Object>")
            xml.append("</Delete>")
            body = "".join(xml).encode()
            md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
            status, hdrs, data = self.request(
                "POST", self.bucket, "", query=[("delete", "")], body=body,
                headers={"content-md5": md5,
                         "content-type": "application/xml"})
            self._ok("DeleteObjects", "", status, hdrs, data, (200,))
            if b"<Error>" in data:
                raise RuntimeError(f"DeleteObjects errors: {data[:1000]!r}")

    def delete_prefix(self, prefix):
        self.delete_objects(self.keys(prefix))


# ---------------------------------------------------------------------------
# The registry on S3

S3_CONFIG_TEMPLATE = """\
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  s3:
    accesskey: {access_key}
    secretkey: {secret_key}
    region: {region}
    regionendpoint: {endpoint}
    bucket: {bucket}
    rootdirectory: {rootdirectory}
    secure: false
    v4auth: true
  redirect:
    disable: true
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:{port}
"""

# Variables that break or redirect distribution's AWS SDK.
_REGISTRY_ENV_DROP = ("AWS_CA_BUNDLE", "AWS_ACCESS_KEY_ID",
                      "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                      "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
                      "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
                      "HTTP_PROXY", "http_proxy", "HTTPS_PROXY",
                      "https_proxy", "ALL_PROXY", "all_proxy")


class _ScrubbedEnviron:
    """Temporarily removes variables from os.environ (registry_harness
    starts processes with the inherited environment)."""

    def __init__(self, names=_REGISTRY_ENV_DROP):
        self.names = names
        self.saved = {}

    def __enter__(self):
        for n in self.names:
            if n in os.environ:
                self.saved[n] = os.environ.pop(n)

    def __exit__(self, *exc):
        os.environ.update(self.saved)
        return False


def registry_env():
    """os.environ without what breaks distribution's S3 driver."""
    env = dict(os.environ)
    for n in _REGISTRY_ENV_DROP:
        env.pop(n, None)
    return env


class S3Registry(rh.Registry):
    """registry_harness.Registry serving from a bucket of a RadosGateway
    under `rootdirectory` (e.g. "/stores/one"; the keys are then
    "stores/one/docker/registry/v2/..."). `endpoint` overrides the
    gateway's (e.g. a proxy's). self.root is a local directory that stays
    empty; self.prefix is the key prefix of the store ("ROOT/")."""

    def __init__(self, workdir, gateway, rootdirectory, name="registry",
                 endpoint=None):
        self.gateway = gateway
        self.rootdirectory = "/" + rootdirectory.strip("/")
        self.s3_endpoint = endpoint or gateway.endpoint
        super().__init__(workdir, name=name)

    @property
    def prefix(self):
        return self.rootdirectory.strip("/") + "/"

    @property
    def s3_url(self):
        """The store as regsweep names it: s3://BUCKET/ROOT."""
        return f"s3://{self.gateway.bucket}/{self.rootdirectory.strip('/')}"

    def _write_config(self, port):
        self.port = port
        gw = self.gateway
        with open(self.config, "w") as f:
            f.write(S3_CONFIG_TEMPLATE.format(
                access_key=gw.access_key, secret_key=gw.secret_key,
                region=gw.region, endpoint=self.s3_endpoint,
                bucket=gw.bucket, rootdirectory=self.rootdirectory,
                port=port))

    def start(self, attempts=5):
        with _ScrubbedEnviron():
            super().start(attempts)


def distribution_gc_s3(config, dry_run=True, delete_untagged=False):
    """registry_harness.distribution_gc() for an S3 config: the same, run
    without AWS_CA_BUNDLE (and AWS_* credentials) in its environment."""
    with _ScrubbedEnviron():
        return rh.distribution_gc(config, dry_run=dry_run,
                                  delete_untagged=delete_untagged)


# ---------------------------------------------------------------------------
# Store inspection from a listing ({key: size} below a store's prefix)

_V2 = "docker/registry/v2/"


def _rel(keys, prefix):
    base = prefix + _V2
    return {k[len(base):]: s for k, s in keys.items() if k.startswith(base)}


def blobs_in_keys(keys, prefix):
    """Every digest with a blob data object."""
    found = set()
    for rel in _rel(keys, prefix):
        parts = rel.split("/")
        if (len(parts) == 5 and parts[0] == "blobs" and parts[4] == "data"):
            found.add(f"{parts[1]}:{parts[3]}")
    return found


def blob_sizes_in_keys(keys, prefix):
    """digest -> size of its data object."""
    out = {}
    for rel, size in _rel(keys, prefix).items():
        parts = rel.split("/")
        if (len(parts) == 5 and parts[0] == "blobs" and parts[4] == "data"):
            out[f"{parts[1]}:{parts[3]}"] = size
    return out


def blob_data_key(prefix, digest):
    alg, hexpart = digest.split(":", 1)
    return f"{prefix}{_V2}blobs/{alg}/{hexpart[:2]}/{hexpart}/data"


def _repo_entries(keys, prefix):
    """(repo, kind, rest) for every key below repositories/: kind is
    "_manifests", "_layers" or "_uploads"; rest the path after it."""
    for rel in _rel(keys, prefix):
        if not rel.startswith("repositories/"):
            continue
        parts = rel[len("repositories/"):].split("/")
        for i, p in enumerate(parts):
            if p in ("_manifests", "_layers", "_uploads"):
                yield "/".join(parts[:i]), p, parts[i + 1:]
                break


def revisions_in_keys(keys, prefix):
    """Every (repository, digest) with a revision link."""
    found = set()
    for repo, kind, rest in _repo_entries(keys, prefix):
        if (kind == "_manifests" and len(rest) == 4 and rest[0] == "revisions"
                and rest[3] == "link"):
            found.add((repo, f"{rest[1]}:{rest[2]}"))
    return found


def layer_links_in_keys(keys, prefix):
    """Every (repository, digest) with a _layers link."""
    found = set()
    for repo, kind, rest in _repo_entries(keys, prefix):
        if kind == "_layers" and len(rest) == 3 and rest[2] == "link":
            found.add((repo, f"{rest[0]}:{rest[1]}"))
    return found


def tags_in_keys(keys, prefix):
    """Every (repository, tag) with a current link."""
    found = set()
    for repo, kind, rest in _repo_entries(keys, prefix):
        if (kind == "_manifests" and len(rest) == 4 and rest[0] == "tags"
                and rest[2:] == ["current", "link"]):
            found.add((repo, rest[1]))
    return found


def dangling_layer_links_in_keys(keys, prefix):
    """(repository, digest) of every _layers link whose blob is gone (the
    link's content is its digest, which the key names)."""
    blobs = blobs_in_keys(keys, prefix)
    return {(r, d) for r, d in layer_links_in_keys(keys, prefix)
            if d not in blobs}


def check_store_matches_keys(sc, keys, prefix):
    """oci_layouts.check_store_matches() for a bucket listing."""
    problems = []
    have, want = blobs_in_keys(keys, prefix), sc.all_blobs()
    if have != want:
        problems.append(f"blobs in the bucket not pushed: "
                        f"{sorted(have - want)}; pushed but not in the "
                        f"bucket: {sorted(want - have)}")
    have, want = revisions_in_keys(keys, prefix), sc.revision_set()
    if have != want:
        problems.append(f"revisions not expected: {sorted(have - want)}; "
                        f"expected but missing: {sorted(want - have)}")
    return problems


def copy_prefix(client, src_prefix, dst_prefix, threads=16):
    """Copies every object below src_prefix to dst_prefix (GET and PUT,
    verified); returns the number of objects."""
    keys = sorted(client.keys(src_prefix))
    _parallel(threads, keys, lambda k: client.put_object(
        dst_prefix + k[len(src_prefix):], client.get_object(k)))
    return len(keys)


def snapshot(client, prefix, threads=16):
    """{relative key: bytes} of every object below prefix."""
    keys = sorted(client.keys(prefix))
    out = {}
    lock = threading.Lock()

    def get(k):
        data = client.get_object(k)
        with lock:
            out[k[len(prefix):]] = data
    _parallel(threads, keys, get)
    return out


def restore(client, snap, prefix, threads=16):
    """PUTs a snapshot() below prefix (verified)."""
    _parallel(threads, sorted(snap),
              lambda rel: client.put_object(prefix + rel, snap[rel]))


def _parallel(threads, items, fn):
    """Calls fn(item) for every item on `threads` threads; re-raises the
    first exception."""
    items = list(items)
    lock = threading.Lock()
    errors = []
    it = iter(items)

    def worker():
        while True:
            with lock:
                if errors:
                    return
                try:
                    item = next(it)
                except StopIteration:
                    return
            try:
                fn(item)
            except Exception as e:  # noqa: BLE001 - re-raised below
                with lock:
                    errors.append(e)
                return
    pool = [threading.Thread(target=worker, daemon=True)
            for _ in range(max(1, min(threads, len(items))))]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    if errors:
        raise errors[0]


# ---------------------------------------------------------------------------


def main(argv):
    import argparse
    p = argparse.ArgumentParser(description="Start a RADOS Gateway on "
                                "loopback (Ctrl-C stops it).")
    p.add_argument("--bucket", default="regsweep-test")
    p.add_argument("--objectstore", default="memstore",
                   choices=("memstore", "bluestore"))
    p.add_argument("--memstore-gib", type=float, default=4)
    p.add_argument("--dir", default=None, help="work directory (kept)")
    p.add_argument("--quiet-logs", action="store_true",
                   help="debug levels 0 (for benchmarks)")
    p.add_argument("--check", action="store_true",
                   help="do a PUT/GET/LIST/DELETE round trip and exit")
    p.add_argument("--env-file", default=None,
                   help="write endpoint, keys and bucket there as shell "
                        "variable assignments")
    args = p.parse_args(argv[1:])
    rh.install_signal_handlers()
    gw = RadosGateway(workdir=args.dir, bucket=args.bucket,
                      objectstore=args.objectstore,
                      memstore_bytes=int(args.memstore_gib * (1 << 30)),
                      keep=args.dir is not None, verbose=True,
                      quiet_logs=args.quiet_logs)
    try:
        with gw:
            print(f"endpoint {gw.endpoint} bucket {gw.bucket} "
                  f"access key {gw.access_key} secret key {gw.secret_key} "
                  f"region {gw.region}; started in "
                  f"{gw.startup_seconds:.1f} s {gw.timings}", flush=True)
            if args.env_file:
                with open(args.env_file, "w") as f:
                    f.write(f"S3_ENDPOINT={gw.endpoint}\nS3_BUCKET="
                            f"{gw.bucket}\nAWS_ACCESS_KEY_ID={gw.access_key}"
                            f"\nAWS_SECRET_ACCESS_KEY={gw.secret_key}\n"
                            f"AWS_REGION={gw.region}\n")
            if args.check:
                c = gw.client()
                c.put_object("check/a b+c", b"hello")
                assert c.get_object("check/a b+c") == b"hello"
                assert c.keys("check/") == {"check/a b+c": 5}
                c.delete_objects(["check/a b+c"])
                assert c.keys("check/") == {}
                print("round trip ok", flush=True)
                return 0
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
