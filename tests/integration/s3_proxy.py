#!/usr/bin/env python3
"""A small HTTP/1.1 forwarding proxy between an S3 client and a server, for
tests and benchmarks (Python 3 stdlib only).

It listens on 127.0.0.1 and forwards every request to one target (e.g. a
RADOS Gateway, see rgw.py) as it came: request line, headers (Host
included: SigV4 signs it) and body byte for byte; answers likewise. Client
connections are kept alive, each with its own kept-alive connection to the
target. On the way it can

  * add a fixed delay per request (delay_ms, e.g. 20 ms to model a cloud
    region's round trip);
  * count requests by kind (list, get, head, put, delete_objects, delete,
    other), their statuses and the body bytes each way;
  * inject faults, each rule on a schedule (the Nth to N+count-1th matching
    request), with a probability (seeded), or always, optionally for some
    kinds only:
      error500      500 InternalError (an S3 <Error> XML body)
      slowdown      503 SlowDown
      unavailable   503 ServiceUnavailable
      forbidden     403 AccessDenied
      slow          the answer held back `seconds` (longer than a client's
                    timeout), then sent if the client is still there
      drop_before   the connection closed before any answer
      drop_after    the answer's headers sent, then the connection closed
      truncate      a Content-Length larger than what is sent, then close
                    (no body: half of the header block, then close)
      wrong_length  a Content-Length smaller than the body: that many bytes
                    are sent, then the connection is closed (a HEAD gets a
                    wrong Content-Length header and stays alive)
    Error faults are answered without asking the target unless the rule
    says forwarded=True (the server did the work, the client hears it
    failed).

In a test:

    with S3Proxy("http://127.0.0.1:7480", delay_ms=20) as proxy:
        proxy.add_fault("slowdown", start=10, count=5)        # a burst
        proxy.add_fault("drop_before", probability=0.05, seed=1)
        proxy.add_fault("forbidden")                          # always
        ... use proxy.url ...
        proxy.counts()   # {"requests": {"list": 3, ...}, ...}

Standalone (for benchmarks), counts printed and written at exit (SIGINT or
SIGTERM):

    python3 s3_proxy.py --listen PORT --target URL --delay-ms 20 \\
        --count-file F [--fault KIND[:key=value...]]...

e.g. --fault slowdown:probability=0.01:seed=3:kinds=get,head or
--fault error500:start=100:count=10. --listen 0 takes a free port; the
first line printed is `listening on http://127.0.0.1:PORT`.
"""

import argparse
import json
import random
import select
import signal
import socket
import sys
import threading
import time
import urllib.parse

KINDS = ("list", "get", "head", "put", "delete_objects", "delete", "other")

FAULTS = ("error500", "slowdown", "unavailable", "forbidden", "slow",
          "drop_before", "drop_after", "truncate", "wrong_length")

_ERRORS = {
    "error500": (500, "Internal Server Error", "InternalError",
                 "We encountered an internal error. Please try again."),
    "slowdown": (503, "Slow Down", "SlowDown",
                 "Please reduce your request rate."),
    "unavailable": (503, "Service Unavailable", "ServiceUnavailable",
                    "Service is unable to handle request."),
    "forbidden": (403, "Forbidden", "AccessDenied", "Access Denied"),
}

_LIST_PARAMS = {"list-type", "prefix", "delimiter", "continuation-token",
                "start-after", "max-keys", "marker", "encoding-type",
                "fetch-owner"}

MAX_HEADER_BYTES = 64 * 1024


class _Closed(Exception):
    """The peer closed the connection (or sent something unparseable)."""


def classify(method, target, host=""):
    """The kind of an S3 request: list, get, head, put, delete_objects,
    delete or other. Path-style (/bucket/key) unless the Host names the
    bucket (bucket.s3.example.com, a name that is not an address)."""
    u = urllib.parse.urlsplit(target)
    path = urllib.parse.unquote(u.path)
    params = {k for k, _ in urllib.parse.parse_qsl(u.query,
                                                   keep_blank_values=True)}
    hostname = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    virtual = ("." in hostname and not hostname.replace(".", "").isdigit()
               and not hostname.startswith("["))
    parts = path.lstrip("/").split("/", 1)
    if virtual:
        bucket, key = hostname.split(".", 1)[0], path.lstrip("/")
    else:
        bucket, key = parts[0], (parts[1] if len(parts) > 1 else "")
    if method == "HEAD":
        return "head"
    if method == "GET":
        if not bucket:
            return "other"  # ListBuckets
        if key:
            return "get"
        if not params or params <= _LIST_PARAMS:
            return "list"
        return "other"  # ?location, ?versioning, ...
    if method == "PUT":
        return "put"
    if method == "POST" and "delete" in params and not key:
        return "delete_objects"
    if method == "DELETE":
        return "delete"
    return "other"


class FaultRule:
    """When and how to misbehave; see the module docstring. Matching counts
    only requests of `kinds` (all when None); the first matching rule of the
    proxy's list wins."""

    def __init__(self, fault, start=None, count=None, probability=None,
                 seed=0, kinds=None, forwarded=False, seconds=40.0,
                 limit=None):
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {FAULTS}")
        if kinds is not None:
            kinds = {kinds} if isinstance(kinds, str) else set(kinds)
            bad = kinds - set(KINDS)
            if bad:
                raise ValueError(f"unknown request kinds {sorted(bad)}")
        self.fault = fault
        self.start = start
        self.count = count
        self.probability = probability
        self.kinds = kinds
        self.forwarded = forwarded
        self.seconds = float(seconds)
        self.limit = limit
        self.rng = random.Random(seed)
        self.seen = 0      # matching requests so far
        self.injected = 0  # faults injected so far

    def decide(self, kind):
        """Called under the proxy's lock: does this request get the fault?"""
        if self.kinds is not None and kind not in self.kinds:
            return False
        n = self.seen
        self.seen += 1
        if self.limit is not None and self.injected >= self.limit:
            return False
        hit = True
        if self.start is not None or self.count is not None:
            first = self.start or 0
            hit = n >= first and (self.count is None
                                  or n < first + self.count)
        if hit and self.probability is not None:
            hit = self.rng.random() < self.probability
        if hit:
            self.injected += 1
        return hit

    def describe(self):
        bits = [self.fault]
        for name in ("start", "count", "probability", "kinds", "limit"):
            v = getattr(self, name)
            if v is not None:
                bits.append(f"{name}={sorted(v) if isinstance(v, set) else v}")
        if self.forwarded:
            bits.append("forwarded")
        return " ".join(bits)


def parse_fault_spec(spec):
    """KIND[:key=value...] -> FaultRule (for the command line)."""
    fault, *pairs = spec.split(":")
    kw = {}
    for pair in pairs:
        k, _, v = pair.partition("=")
        if k in ("start", "count", "seed", "limit"):
            kw[k] = int(v)
        elif k in ("probability", "seconds"):
            kw[k] = float(v)
        elif k == "kinds":
            kw[k] = v.split(",")
        elif k == "forwarded":
            kw[k] = v.lower() in ("", "1", "true", "yes")
        else:
            raise ValueError(f"unknown fault option {k!r} in {spec!r}")
    return FaultRule(fault, **kw)


class _Message:
    """A parsed request or response head."""

    def __init__(self, first_line, headers, raw):
        self.first_line = first_line  # str, no CRLF
        self.headers = headers        # [(name, value)] as received
        self.raw = raw                # the head's bytes, CRLFs included

    def get(self, name, default=None):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return default

    def has_token(self, name, token):
        v = self.get(name) or ""
        return token in [t.strip().lower() for t in v.split(",")]


def _read_head(rfile):
    raw = bytearray()
    lines = []
    while True:
        line = rfile.readline(MAX_HEADER_BYTES + 1)
        if not line:
            if raw:
                raise _Closed("connection closed inside a message head")
            raise _Closed("connection closed")
        raw += line
        if len(raw) > MAX_HEADER_BYTES:
            raise _Closed("message head too large")
        if line in (b"\r\n", b"\n"):
            if not lines:  # tolerate stray CRLFs between messages
                raw.clear()
                continue
            break
        lines.append(line.decode("latin-1").rstrip("\r\n"))
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers.append((name.strip(), value.strip()))
    return _Message(lines[0], headers, bytes(raw))


def _read_exact(rfile, n):
    data = rfile.read(n)
    if data is None or len(data) < n:
        raise _Closed(f"body cut short: {len(data or b'')} of {n} bytes")
    return data


def _read_chunked_raw(rfile):
    """A chunked body exactly as sent (sizes, extensions, trailer) and the
    decoded payload."""
    raw = bytearray()
    payload = bytearray()
    while True:
        line = rfile.readline(4096)
        if not line:
            raise _Closed("connection closed inside a chunked body")
        raw += line
        size = int(line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while True:  # trailer
                t = rfile.readline(MAX_HEADER_BYTES)
                if not t:
                    raise _Closed("connection closed inside a trailer")
                raw += t
                if t in (b"\r\n", b"\n"):
                    return bytes(raw), bytes(payload)
        chunk = _read_exact(rfile, size + 2)
        raw += chunk
        payload += chunk[:size]


class S3Proxy:
    """The proxy; see the module docstring. Thread per client connection."""

    def __init__(self, target, listen_port=0, delay_ms=0.0, verbose=False):
        u = urllib.parse.urlsplit(target)
        if u.scheme != "http":
            raise ValueError(f"only http:// targets: {target}")
        self.target = (u.hostname, u.port or 80)
        self.listen_port = listen_port
        self.delay = delay_ms / 1000.0
        self.verbose = verbose
        self.lock = threading.Lock()
        self.rules = []
        self._stop = threading.Event()
        self._sockets = set()
        self._threads = set()
        self._listener = None
        self._accept_thread = None
        self.port = None
        self.reset_counts()

    # -- control ---------------------------------------------------------

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def add_fault(self, fault, **kw):
        """Adds a FaultRule(fault, **kw) (or a FaultRule given as fault);
        returns it (its .injected counts what it did)."""
        rule = fault if isinstance(fault, FaultRule) else FaultRule(fault,
                                                                    **kw)
        with self.lock:
            self.rules.append(rule)
        return rule

    def clear_faults(self):
        with self.lock:
            self.rules = []

    def set_delay_ms(self, delay_ms):
        self.delay = delay_ms / 1000.0

    def reset_counts(self):
        with getattr(self, "lock", threading.Lock()):
            self._counts = {
                "requests": {k: 0 for k in KINDS},
                "bytes_up": {k: 0 for k in KINDS},
                "bytes_down": {k: 0 for k in KINDS},
                "forwarded": {k: 0 for k in KINDS},
                "status": {},
                "faults": {},
                "client_connections": 0,
                "upstream_connections": 0,
            }
            self._started = time.monotonic()

    def counts(self):
        """A copy of the counters, with totals: requests by kind (as the
        client sent them; "forwarded": those that reached the server), body
        bytes up (to the server) and down by kind, answers by status (as
        the client saw them; "none" when it got no answer), faults
        injected by name, connections, seconds since the last reset.
        Statuses: the HTTP status of complete answers, "broken" for an
        answer cut short (drop_after, truncate, wrong_length), "none" when
        the client got nothing."""
        with self.lock:
            c = json.loads(json.dumps(self._counts))
            c["total_requests"] = sum(c["requests"].values())
            c["total_bytes_up"] = sum(c["bytes_up"].values())
            c["total_bytes_down"] = sum(c["bytes_down"].values())
            c["seconds"] = round(time.monotonic() - self._started, 3)
            c["delay_ms"] = self.delay * 1000.0
        return c

    def _count(self, kind, up=0, down=0, status=None, fault=None,
               forwarded=False):
        with self.lock:
            c = self._counts
            if forwarded:
                c["forwarded"][kind] += 1
            c["bytes_up"][kind] += up
            c["bytes_down"][kind] += down
            if status is not None:
                c["status"][str(status)] = c["status"].get(str(status), 0) + 1
            if fault is not None:
                c["faults"][fault] = c["faults"].get(fault, 0) + 1

    # -- lifecycle ---------------------------------------------------------

    def start(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.listen_port))
        s.listen(512)
        self._listener = s
        self.port = s.getsockname()[1]
        self._accept_thread = threading.Thread(target=self._accept_loop,
                                               name="s3proxy-accept",
                                               daemon=True)
        self._accept_thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
        with self.lock:
            socks = list(self._sockets)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._accept_thread is not None:
            self._accept_thread.join(timeout=5)
        for t in list(self._threads):
            t.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self._counts["client_connections"] += 1
                self._sockets.add(conn)
            t = threading.Thread(target=self._serve, args=(conn,),
                                 name="s3proxy-conn", daemon=True)
            self._threads.add(t)
            t.start()

    # -- one client connection -------------------------------------------

    def _serve(self, client):
        upstream = _Upstream(self)
        rfile = client.makefile("rb", buffering=65536)
        try:
            while not self._stop.is_set():
                try:
                    keep = self._one_request(client, rfile, upstream)
                except _Closed:
                    return
                except OSError:
                    return
                if not keep:
                    return
        finally:
            upstream.close()
            try:
                rfile.close()
                client.close()
            except OSError:
                pass
            with self.lock:
                self._sockets.discard(client)
            self._threads.discard(threading.current_thread())

    def _one_request(self, client, rfile, upstream):
        """Reads one request, forwards it (or not) and answers. Returns
        whether the client connection stays open."""
        req = _read_head(rfile)
        try:
            method, target, version = req.first_line.split(" ", 2)
        except ValueError:
            raise _Closed(f"bad request line {req.first_line!r}")
        kind = classify(method, target, req.get("host", ""))
        # The body: the proxy says 100 Continue itself and reads it whole,
        # then sends head and body on (the server's own 100 is skipped).
        if req.has_token("expect", "100-continue"):
            client.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if req.has_token("transfer-encoding", "chunked"):
            body_raw, payload = _read_chunked_raw(rfile)
            up_bytes = len(payload)
        else:
            n = int(req.get("content-length", "0") or 0)
            body_raw = _read_exact(rfile, n) if n else b""
            up_bytes = n
        client_keep = not (req.has_token("connection", "close")
                           or version == "HTTP/1.0")
        with self.lock:
            self._counts["requests"][kind] += 1
            rule = None
            for r in self.rules:
                if r.decide(kind):
                    rule = r
                    break
        fault = rule.fault if rule else None
        if self.verbose:
            print(f"s3proxy: {method} {target} [{kind}]"
                  + (f" FAULT {fault}" if fault else ""), file=sys.stderr,
                  flush=True)
        if self.delay:
            self._stop.wait(self.delay)

        if fault == "drop_before":
            self._count(kind, status="none", fault=fault)
            return False
        if fault in _ERRORS and not rule.forwarded:
            self._count(kind, status=_ERRORS[fault][0], fault=fault)
            return self._send_error(client, fault, method, target,
                                    client_keep)

        # Forward (the body byte for byte) and read the whole answer head.
        resp, up_keep = upstream.exchange(req.raw, body_raw)
        self._count(kind, up=up_bytes, forwarded=True)
        no_body = (method == "HEAD" or resp.status in (204, 304)
                   or 100 <= resp.status < 200)
        chunked = resp.has_token("transfer-encoding", "chunked")
        length = resp.get("content-length")

        if fault in _ERRORS:  # forwarded: the server did it, answer lost
            upstream.discard_body(resp, no_body)
            self._count(kind, status=_ERRORS[fault][0], fault=fault)
            return self._send_error(client, fault, method, target,
                                    client_keep)

        if fault == "slow":
            self._count(kind, fault=fault)
            if not self._hold(client, rule.seconds):
                upstream.discard_body(resp, no_body)
                self._count(kind, status="none")
                return False

        if fault in ("truncate", "wrong_length", "drop_after"):
            payload = upstream.read_body(resp, no_body)
            if fault == "wrong_length" and no_body:
                # A HEAD (or 204) with a wrong Content-Length header: the
                # connection stays usable, the size is a lie.
                declared = int(length) // 2 if (length or "").isdigit() \
                    and int(length) > 1 else 7
                client.sendall(_rewrite_length(resp, declared))
                self._count(kind, status=resp.status, fault=fault)
                if not up_keep:
                    upstream.close()
                return client_keep
            self._count(kind, down=len(payload), status="broken",
                        fault=fault)
            if fault == "drop_after":
                client.sendall(resp.raw)
            elif fault == "truncate" and no_body:
                client.sendall(resp.raw[:max(1, len(resp.raw) // 2)])
            elif fault == "truncate":
                client.sendall(_rewrite_length(resp, len(payload) * 2 + 16)
                               + payload[:len(payload) // 2])
            else:  # wrong_length: fewer bytes declared (and sent)
                short = len(payload) // 2
                client.sendall(_rewrite_length(resp, short) + payload[:short])
            if not up_keep:
                upstream.close()
            return False

        # The normal case: stream the answer as it comes.
        client.sendall(resp.raw)
        down = 0
        close_after = False
        if not no_body:
            if chunked:
                raw, payload = _read_chunked_raw(upstream.rfile)
                client.sendall(raw)
                down = len(payload)
            elif length is not None:
                left = int(length)
                while left:
                    data = upstream.rfile.read1(min(left, 65536))
                    if not data:
                        raise _Closed("server closed inside a body")
                    client.sendall(data)
                    left -= len(data)
                    down += len(data)
            else:  # until the server closes
                while True:
                    data = upstream.rfile.read1(65536)
                    if not data:
                        break
                    client.sendall(data)
                    down += len(data)
                close_after = True
                up_keep = False
        self._count(kind, down=down, status=resp.status)
        if not up_keep:
            upstream.close()
        return (client_keep and not close_after
                and not resp.has_token("connection", "close"))

    def _hold(self, client, seconds):
        """Waits `seconds` (or until stop); False if the client went away
        meanwhile."""
        deadline = time.monotonic() + seconds
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            r, _, _ = select.select([client], [], [], min(left, 0.5))
            if r:
                try:
                    if not client.recv(1, socket.MSG_PEEK):
                        return False
                except OSError:
                    return False
                # The client sent more (pipelining): keep waiting.
                time.sleep(min(left, 0.5))
        return False

    def _send_error(self, client, fault, method, target, keep):
        status, reason, code, message = _ERRORS[fault]
        resource = urllib.parse.urlsplit(target).path
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>'
                f"{code}</Code><Message>{message}</Message><Resource>"
                f"{_xml_escape(resource)}</Resource><RequestId>s3proxy-"
                f"{fault}</RequestId></Error>").encode()
        head = (f"HTTP/1.1 {status} {reason}\r\n"
                f"Content-Type: application/xml\r\n"
                f"x-amz-request-id: s3proxy-{fault}\r\n"
                f"Content-Length: {0 if method == 'HEAD' else len(body)}\r\n"
                f"Connection: {'keep-alive' if keep else 'close'}\r\n\r\n")
        client.sendall(head.encode() + (b"" if method == "HEAD" else body))
        return keep


def _xml_escape(text):
    return (text.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;"))


def _rewrite_length(resp, length):
    """The answer head with Transfer-Encoding dropped and Content-Length set
    to `length` (unchanged when None)."""
    lines = [resp.first_line]
    for k, v in resp.headers:
        if length is not None and k.lower() in ("content-length",
                                                "transfer-encoding"):
            continue
        lines.append(f"{k}: {v}")
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class _Response(_Message):
    def __init__(self, msg):
        super().__init__(msg.first_line, msg.headers, msg.raw)
        try:
            self.status = int(msg.first_line.split(" ", 2)[1])
        except (IndexError, ValueError):
            raise _Closed(f"bad status line {msg.first_line!r}")


class _Upstream:
    """The kept-alive connection to the target for one client connection."""

    def __init__(self, proxy):
        self.proxy = proxy
        self.sock = None
        self.rfile = None
        self.reused = False

    def _connect(self):
        self.sock = socket.create_connection(self.proxy.target, timeout=300)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rfile = self.sock.makefile("rb", buffering=65536)
        self.reused = False
        with self.proxy.lock:
            self.proxy._counts["upstream_connections"] += 1
            self.proxy._sockets.add(self.sock)

    def close(self):
        if self.sock is not None:
            with self.proxy.lock:
                self.proxy._sockets.discard(self.sock)
            try:
                self.rfile.close()
                self.sock.close()
            except OSError:
                pass
        self.sock = self.rfile = None

    def exchange(self, head, body):
        """Sends a request, returns (final response head, keep-alive). A
        kept-alive connection the server closed meanwhile is replaced once
        (only if nothing came back)."""
        for attempt in (0, 1):
            if self.sock is None:
                self._connect()
            reused = self.reused
            try:
                self.sock.sendall(head + body)
                while True:
                    resp = _Response(_read_head(self.rfile))
                    if 100 <= resp.status < 200 and resp.status != 101:
                        continue  # the server's own 100 Continue
                    break
            except (_Closed, OSError):
                self.close()
                if reused and attempt == 0:
                    continue
                raise
            self.reused = True
            keep = not resp.has_token("connection", "close")
            return resp, keep
        raise _Closed("unreachable")

    def read_body(self, resp, no_body):
        """The whole (decoded) body of a response."""
        if no_body:
            return b""
        if resp.has_token("transfer-encoding", "chunked"):
            return _read_chunked_raw(self.rfile)[1]
        length = resp.get("content-length")
        if length is not None:
            return _read_exact(self.rfile, int(length))
        data = self.rfile.read()
        self.close()
        return data

    def discard_body(self, resp, no_body):
        try:
            self.read_body(resp, no_body)
        except (_Closed, OSError):
            self.close()


# ---------------------------------------------------------------------------
# Standalone


def main(argv):
    p = argparse.ArgumentParser(
        description="A delaying, counting, fault-injecting HTTP/1.1 proxy "
                    "in front of an S3 server.")
    p.add_argument("--listen", type=int, default=0,
                   help="port on 127.0.0.1 (0: any free port)")
    p.add_argument("--target", required=True,
                   help="the server, e.g. http://127.0.0.1:7480")
    p.add_argument("--delay-ms", type=float, default=0.0,
                   help="delay added to every request")
    p.add_argument("--count-file", default=None,
                   help="write the counts there as JSON at exit")
    p.add_argument("--fault", action="append", default=[],
                   help="KIND[:start=N][:count=N][:probability=P][:seed=S]"
                        "[:kinds=get,list][:forwarded][:seconds=S]"
                        "[:limit=N]; repeatable, the first match wins")
    p.add_argument("--verbose", action="store_true",
                   help="print every request to stderr")
    args = p.parse_args(argv[1:])

    done = threading.Event()

    def handler(signum, _frame):
        done.set()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, handler)

    proxy = S3Proxy(args.target, listen_port=args.listen,
                    delay_ms=args.delay_ms, verbose=args.verbose)
    for spec in args.fault:
        proxy.add_fault(parse_fault_spec(spec))
    proxy.start()
    print(f"listening on {proxy.url} -> {args.target}, delay "
          f"{args.delay_ms} ms", flush=True)
    try:
        while not done.wait(1.0):
            pass
    finally:
        proxy.stop()
        counts = proxy.counts()
        text = json.dumps(counts, indent=1, sort_keys=True)
        if args.count_file:
            with open(args.count_file, "w") as f:
                f.write(text + "\n")
        print(text, file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
