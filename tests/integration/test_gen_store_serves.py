#!/usr/bin/env python3
"""Integration test: the real registry serves what gen_store writes.

Generates a `--sample` store, checks it on disk (blob digests, link files,
every manifest's references linked in its repository), checks the file times
the sample's `--age 60` backdates (tags within the period, orphans and
deleted manifests older than the collector's grace, a stale upload),
checks that the same seed gives the same store (and the same times, shifted
by the time between the runs), then serves it with `docker-registry serve` and
checks that every tag, manifest and blob resolves and that `skopeo copy`
pulls a single-platform tag, a multi-arch tag (with --all) and, when the
sample has one, a schema1 tag, with correct digests.

Run by ctest as:
  python3 test_gen_store_serves.py --regsweep PATH --gen-store PATH
(--regsweep is accepted and ignored). Python 3 standard library only.
Prints one PASS/FAIL line per check and a final "N passed, N failed" line;
exits non-zero when a check failed.
"""

import argparse
import calendar
import ctypes
import hashlib
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

V2 = os.path.join("docker", "registry", "v2")
SEED = "11"
AGE_DAYS = 60  # what --sample sets --age to
DAY = 86400
GRACE = 3600  # the collector's default grace period
DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
HEX_RE = re.compile(r"^[0-9a-f]{64}$")

MANIFEST_ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
    "application/vnd.docker.distribution.manifest.v1+json",
])
INDEX_TYPES = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
}
IMAGE_TYPES = {
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
}
SCHEMA1_TYPES = {
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
    "application/vnd.docker.distribution.manifest.v1+json",
}


class Checks:
    """Counts checks and prints one line per check."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, condition, what, detail=""):
        if condition:
            self.passed += 1
            print(f"PASS {what}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {what}", flush=True)
            for line in str(detail).splitlines()[:20]:
                print(f"     {line}", flush=True)
        return bool(condition)


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read_text(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", errors="replace")


# ---------------------------------------------------------------------------
# The store on disk


def generate(gen_store, root, *extra):
    cmd = [gen_store, "--root", root, "--sample", "--seed", SEED, *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def blob_path(root, hexdigest):
    return os.path.join(root, V2, "blobs", "sha256", hexdigest[:2], hexdigest,
                        "data")


def walk_blobs(root):
    """{hex: path of data} for every blob."""
    blobs = {}
    base = os.path.join(root, V2, "blobs", "sha256")
    for prefix in sorted(os.listdir(base)):
        for hexdigest in sorted(os.listdir(os.path.join(base, prefix))):
            blobs[hexdigest] = os.path.join(base, prefix, hexdigest, "data")
    return blobs


class Repo:
    """What one repository holds on disk."""

    def __init__(self, name):
        self.name = name
        self.revisions = set()        # linked manifest digests
        self.deleted_revisions = set()  # revision dirs without a link
        self.layers = set()           # _layers link digests
        self.tags = {}                # tag -> current digest
        self.tag_history = {}         # tag -> set of digests in index/
        self.uploads = []             # upload directories
        self.bad_links = []           # (path, content) of malformed links


def read_link(path, repo):
    content = read_text(path)
    if not DIGEST_RE.match(content):  # no newline, no space, sha256 only
        repo.bad_links.append((path, content))
        return None
    return content


def scan_repositories(root):
    """{name: Repo}, found by walking for _manifests/_layers/_uploads."""
    repos = {}
    base = os.path.join(root, V2, "repositories")
    for dirpath, dirnames, _ in os.walk(base):
        if not any(d in ("_manifests", "_layers", "_uploads") for d in dirnames):
            continue
        name = os.path.relpath(dirpath, base)
        repo = repos.setdefault(name, Repo(name))
        revisions = os.path.join(dirpath, "_manifests", "revisions", "sha256")
        for hexdigest in sorted(os.listdir(revisions)) if os.path.isdir(revisions) else []:
            link = os.path.join(revisions, hexdigest, "link")
            if os.path.exists(link):
                digest = read_link(link, repo)
                if digest and digest != "sha256:" + hexdigest:
                    repo.bad_links.append((link, digest))
                repo.revisions.add("sha256:" + hexdigest)
            else:
                repo.deleted_revisions.add("sha256:" + hexdigest)
        layers = os.path.join(dirpath, "_layers", "sha256")
        for hexdigest in sorted(os.listdir(layers)) if os.path.isdir(layers) else []:
            link = os.path.join(layers, hexdigest, "link")
            digest = read_link(link, repo)
            if digest and digest != "sha256:" + hexdigest:
                repo.bad_links.append((link, digest))
            repo.layers.add("sha256:" + hexdigest)
        tags = os.path.join(dirpath, "_manifests", "tags")
        for tag in sorted(os.listdir(tags)) if os.path.isdir(tags) else []:
            current = read_link(os.path.join(tags, tag, "current", "link"), repo)
            repo.tags[tag] = current
            index = os.path.join(tags, tag, "index", "sha256")
            repo.tag_history[tag] = {"sha256:" + h for h in os.listdir(index)}
        uploads = os.path.join(dirpath, "_uploads")
        if os.path.isdir(uploads):
            repo.uploads = [os.path.join(uploads, u) for u in os.listdir(uploads)]
    return repos


def manifest_references(manifest):
    """(blob digests it needs linked in _layers, child manifest digests)."""
    if manifest.get("schemaVersion") == 1:
        return {layer["blobSum"] for layer in manifest["fsLayers"]}, set()
    if "manifests" in manifest:
        return set(), {child["digest"] for child in manifest["manifests"]}
    blobs = {manifest["config"]["digest"]}
    blobs |= {layer["digest"] for layer in manifest["layers"]}
    return blobs, set()


def descriptors(manifest):
    """Every descriptor of a schema2/OCI manifest or index."""
    found = list(manifest.get("manifests", []))
    found += [manifest["config"]] if "config" in manifest else []
    found += manifest.get("layers", [])
    found += [manifest["subject"]] if "subject" in manifest else []
    return found


def check_descriptors(root, blobs, digest, manifest):
    """Problems with a manifest's descriptors (sizes, missing blobs) and, for
    an image, its config (valid JSON, one diff_id per layer)."""
    problems = []
    for d in descriptors(manifest):
        path = blobs.get(d["digest"][7:])
        if path is None:
            problems.append(f"{digest} names missing blob {d['digest']}")
        elif os.path.getsize(path) != d["size"]:
            problems.append(f"{digest}: {d['digest']} size {d['size']} != "
                            f"{os.path.getsize(path)}")
    config = manifest.get("config", {})
    if config.get("mediaType", "").endswith("config.v1+json") or \
            config.get("mediaType", "").endswith("container.image.v1+json"):
        image = json.loads(read_text(blobs[config["digest"][7:]]))
        if not (image.get("architecture") and image.get("os") and
                len(image["rootfs"]["diff_ids"]) == len(manifest["layers"])):
            problems.append(f"{digest}: config {config['digest']} is not a "
                            "valid image config for its layers")
    return problems


def check_store(c, root, summary):
    blobs = walk_blobs(root)
    bad = [h for h, p in blobs.items() if sha256_file(p) != h]
    c.check(not bad, f"all {len(blobs)} blob files hold the bytes of their "
            "digest", "\n".join(bad))
    c.check(str(len(blobs)) == summary.get("blobs"),
            "the summary counts every blob file",
            f"summary {summary.get('blobs')}, on disk {len(blobs)}")

    repos = scan_repositories(root)
    c.check(len(repos) >= 5, f"the sample has several repositories ({len(repos)})")
    c.check(any(n.count("/") >= 2 for n in repos), "some names nest twice")
    c.check(any(a != b and b.startswith(a + "/") for a in repos for b in repos),
            "a repository lies inside another one's directory")
    bad_links = [f"{p}: {t!r}" for r in repos.values() for p, t in r.bad_links]
    c.check(not bad_links, "every link file holds exactly sha256:<hex>",
            "\n".join(bad_links))

    problems = []
    kinds = {"index": 0, "image": 0, "schema1": 0, "referrer": 0}
    referrers_tagged = []
    for repo in repos.values():
        every_link = (repo.revisions | repo.layers |
                      {d for d in repo.tags.values() if d} |
                      set().union(*repo.tag_history.values()))
        for digest in every_link:
            if digest[7:] not in blobs:
                problems.append(f"{repo.name}: link to missing blob {digest}")
        tagged = set(repo.tags.values())
        for digest in repo.revisions | repo.deleted_revisions:
            manifest = json.loads(read_text(blob_path(root, digest[7:])))
            problems += check_descriptors(root, blobs, digest, manifest)
            needed, children = manifest_references(manifest)
            for blob in needed - repo.layers:
                problems.append(f"{repo.name}: {digest} needs {blob}, not linked")
            for child in children - repo.revisions:
                problems.append(f"{repo.name}: index {digest} child {child} "
                                "not revision-linked")
            if "subject" in manifest:
                kinds["referrer"] += 1
                referrers_tagged.append(digest in tagged)
            elif children:
                kinds["index"] += 1
            elif manifest.get("schemaVersion") == 1:
                kinds["schema1"] += 1
            else:
                kinds["image"] += 1
        for tag, current in repo.tags.items():
            if current not in repo.revisions:
                problems.append(f"{repo.name}:{tag} points at {current}, "
                                "which is not revision-linked")
            if current not in repo.tag_history.get(tag, set()):
                problems.append(f"{repo.name}:{tag} history lacks its current")
    c.check(not problems, "manifests, configs, links and tags are consistent",
            "\n".join(problems))
    c.check(all(kinds.values()), f"the sample has every kind of manifest {kinds}")
    c.check(not any(referrers_tagged), "referrers are not tagged")
    moved = [(r.name, t) for r in repos.values()
             for t, h in r.tag_history.items() if len(h) > 1]
    c.check(bool(moved), f"some tags moved ({len(moved)})")
    deleted = sum(len(r.deleted_revisions) for r in repos.values())
    c.check(deleted > 0, f"some manifests were deleted ({deleted}), leaving "
            "revision directories without links")
    linked = set().union(*(r.layers | r.revisions for r in repos.values()))
    orphans = [h for h in blobs if "sha256:" + h not in linked]
    c.check(bool(orphans), f"some blobs are bare orphans ({len(orphans)})")
    uploads = [u for r in repos.values() for u in r.uploads]
    complete = all(os.path.isfile(os.path.join(u, f))
                   for u in uploads
                   for f in ("data", "startedat",
                             os.path.join("hashstates", "sha256", "0")))
    c.check(uploads and complete, f"uploads have data, startedat and a hash "
            f"state ({len(uploads)})")
    return repos


# ---------------------------------------------------------------------------
# File times (--age)


def mtime(path):
    return os.lstat(path).st_mtime


def check_age(c, root, repos, now):
    """The times --age 60 gives: see tools/gen_store/timeline.h."""
    tag_links = [os.path.join(root, V2, "repositories", r.name, "_manifests",
                              "tags", t, "current", "link")
                 for r in repos.values() for t in r.tags]
    newest = min(now - mtime(p) for p in tag_links)
    c.check(60 < newest < AGE_DAYS * DAY,
            f"the newest tag link is older than a minute and within "
            f"{AGE_DAYS} days ({newest / 60:.1f} minutes)")
    ages = [now - mtime(p) for p in tag_links]
    c.check(max(ages) - min(ages) > DAY,
            "tags were last moved at different times over the period",
            f"tag link ages {sorted(ages)}")

    blobs = walk_blobs(root)
    linked = set().union(*(r.layers | r.revisions for r in repos.values()))
    orphans = [p for h, p in blobs.items() if "sha256:" + h not in linked]
    young = [f"{p}: {(now - mtime(p)) / 60:.0f} minutes" for p in orphans
             if now - mtime(p) <= GRACE]
    c.check(orphans and not young, f"all {len(orphans)} orphan blobs are "
            "older than the grace of 1h", "\n".join(young))
    deleted = [os.path.join(root, V2, "repositories", r.name, "_manifests",
                            "revisions", "sha256", d[7:])
               for r in repos.values() for d in r.deleted_revisions]
    young = [p for p in deleted if now - mtime(p) <= GRACE]
    c.check(deleted and not young, f"all {len(deleted)} deleted manifests' "
            "revision directories are older than the grace", "\n".join(young))

    started = {u: mtime(os.path.join(u, "startedat"))
               for r in repos.values() for u in r.uploads}
    stale = [u for u, t in started.items() if now - t > 7 * DAY]
    fresh = [u for u, t in started.items() if now - t < GRACE]
    c.check(stale and fresh, f"of {len(started)} uploads, {len(stale)} are "
            f"older than a week and {len(fresh)} younger than an hour",
            "\n".join(f"{u}: {(now - t) / DAY:.2f} days"
                      for u, t in started.items()))
    disagree = []
    for u, t in started.items():
        text = read_text(os.path.join(u, "startedat"))
        said = calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))
        if abs(said - t) > 1:
            disagree.append(f"{u}: startedat {text}, mtime {t}")
    c.check(not disagree, "each upload's startedat says its file time",
            "\n".join(disagree))

    older = []
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, "docker")):
        for name in dirnames + filenames:
            if mtime(os.path.join(dirpath, name)) > mtime(dirpath):
                older.append(f"{dirpath} is older than its {name}")
    c.check(not older, "no directory is older than an entry in it",
            "\n".join(older))


def relative_times(root):
    """{relative path: mtime} for the whole store."""
    return {os.path.relpath(os.path.join(d, n), root):
            os.lstat(os.path.join(d, n)).st_mtime_ns
            for d, dirnames, filenames in os.walk(root)
            for n in dirnames + filenames}


def tree_fingerprint(root):
    """{relative path: sha256 of the file, or 'dir'} for the whole store.
    Backdated uploads' startedat files hold the run's time, so they count
    as present only."""
    result = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            result[os.path.relpath(os.path.join(dirpath, d), root)] = "dir"
        for f in filenames:
            path = os.path.join(dirpath, f)
            result[os.path.relpath(path, root)] = \
                "startedat" if f == "startedat" else sha256_file(path)
    return result


def check_determinism(c, gen_store, tmp, first_root):
    second = os.path.join(tmp, "again")
    r = generate(gen_store, second)
    c.check(r.returncode == 0, "a second run with the same seed succeeds", r.stderr)
    c.check(set(walk_blobs(first_root)) == set(walk_blobs(second)),
            "the same seed gives the same set of blob digests")
    a, b = tree_fingerprint(first_root), tree_fingerprint(second)
    diff = sorted(set(a.items()) ^ set(b.items()))[:10]
    c.check(a == b, "the same seed gives a byte-identical store (uploads' "
            "startedat aside)", "\n".join(str(d) for d in diff))
    a, b = relative_times(first_root), relative_times(second)
    shifts = {b[p] - a[p] for p in a if p in b}
    c.check(len(shifts) == 1, "the same seed gives the same times, shifted by "
            "the time between the runs",
            f"{len(shifts)} different shifts: {sorted(shifts)[:10]}")
    other = os.path.join(tmp, "other-seed")
    r = subprocess.run([gen_store, "--root", other, "--sample", "--seed", "12"],
                       capture_output=True, text=True, timeout=300)
    c.check(r.returncode == 0 and
            set(walk_blobs(other)) != set(walk_blobs(first_root)),
            "another seed gives other blobs", r.stderr)
    r = generate(gen_store, second)
    c.check(r.returncode != 0, "gen_store refuses to write over a store")


# ---------------------------------------------------------------------------
# The registry


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent():
    """Runs in the child: the kernel kills it if this test dies outright."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Registry:
    def __init__(self, root, tmp):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.config = os.path.join(tmp, "registry.yml")
        self.log = os.path.join(tmp, "registry.log")
        with open(self.config, "w") as f:
            f.write("version: 0.1\n"
                    "log:\n  level: warn\n"
                    "storage:\n"
                    f"  filesystem:\n    rootdirectory: {root}\n"
                    "  delete:\n    enabled: true\n"
                    f"http:\n  addr: 127.0.0.1:{self.port}\n")
        self.proc = None

    def start(self):
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(
                ["docker-registry", "serve", self.config], stdout=log,
                stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if self.get("/v2/")[0] == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.1)
        return False

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def get(self, path, method="GET", accept=None):
        """(status, headers, body)."""
        req = urllib.request.Request(self.base + path, method=method)
        if accept:
            req.add_header("Accept", accept)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()


def check_served(c, registry, repos):
    status, _, body = registry.get("/v2/_catalog?n=1000")  # 2.8's maximum
    catalog = json.loads(body).get("repositories", []) if status == 200 else []
    served = {n for n, r in repos.items() if r.revisions or r.layers}
    c.check(set(catalog) == served, "the catalog lists every repository",
            f"catalog {sorted(catalog)}\nstore {sorted(served)}")

    problems, kinds = [], {}
    for repo in repos.values():
        status, _, body = registry.get(f"/v2/{repo.name}/tags/list")
        listed = set(json.loads(body).get("tags") or []) if status == 200 else set()
        if listed != set(repo.tags):
            problems.append(f"{repo.name}: tags {sorted(listed)} != "
                            f"{sorted(repo.tags)}")
        for tag, digest in sorted(repo.tags.items()):
            status, headers, body = registry.get(
                f"/v2/{repo.name}/manifests/{tag}", accept=MANIFEST_ACCEPT)
            media_type = (headers.get("Content-Type") or "").split(";")[0]
            if status != 200 or headers.get("Docker-Content-Digest") != digest:
                problems.append(f"{repo.name}:{tag} -> {status} "
                                f"{headers.get('Docker-Content-Digest')}, "
                                f"expected {digest}")
                continue
            kinds.setdefault(media_type, []).append((repo.name, tag, digest))
        for digest in sorted(repo.revisions):
            status, headers, body = registry.get(
                f"/v2/{repo.name}/manifests/{digest}", accept=MANIFEST_ACCEPT)
            media_type = (headers.get("Content-Type") or "").split(";")[0]
            # schema1 is signed on the fly, so its body is not the stored one.
            body_ok = (media_type in SCHEMA1_TYPES or
                       "sha256:" + hashlib.sha256(body).hexdigest() == digest)
            if status != 200 or not body_ok:
                problems.append(f"{repo.name}@{digest} -> {status} {media_type}")
        for digest in sorted(repo.deleted_revisions):
            status, _, _ = registry.get(f"/v2/{repo.name}/manifests/{digest}",
                                        accept=MANIFEST_ACCEPT)
            if status != 404:
                problems.append(f"deleted {repo.name}@{digest} -> {status}")
        for digest in sorted(repo.layers):
            status, _, _ = registry.get(f"/v2/{repo.name}/blobs/{digest}",
                                        method="HEAD")
            if status != 200:
                problems.append(f"{repo.name} blob {digest} -> {status}")
    c.check(not problems, "every tag, manifest and linked blob is served "
            "(deleted manifests are not)", "\n".join(problems))
    return kinds


def skopeo_copy(registry, reference, dest, all_images):
    cmd = ["skopeo", "--insecure-policy", "copy", "--src-tls-verify=false"]
    if all_images:
        cmd.append("--all")
    cmd += [f"docker://127.0.0.1:{registry.port}/{reference}", f"dir:{dest}"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def check_dir_copy(c, what, dest, digest, media_type):
    """The copied manifest hashes to the tag's digest (for schema1: parses),
    every blob file hashes to its name, and every blob a copied manifest names
    was copied."""
    files = set(os.listdir(dest))
    blobs = {f for f in files if HEX_RE.match(f)}
    bad = [f for f in blobs if sha256_file(os.path.join(dest, f)) != f]
    c.check(not bad, f"{what}: {len(blobs)} copied blobs match their digests",
            "\n".join(bad))
    top = os.path.join(dest, "manifest.json")
    if media_type in SCHEMA1_TYPES:
        manifest = json.loads(read_text(top))
        wanted = {l["blobSum"][7:] for l in manifest["fsLayers"]}
        c.check(wanted <= blobs, f"{what}: every fsLayer was copied")
        return
    c.check("sha256:" + sha256_file(top) == digest,
            f"{what}: the copied manifest has the tag's digest")
    manifests = [top] + [os.path.join(dest, f) for f in files
                         if f.endswith(".manifest.json")]
    bad_children = [f for f in manifests[1:]
                    if sha256_file(f) != os.path.basename(f).split(".")[0]]
    c.check(not bad_children, f"{what}: copied child manifests match their "
            "digests", "\n".join(bad_children))
    missing = []
    for path in manifests:
        manifest = json.loads(read_text(path))
        needed, children = manifest_references(manifest)
        missing += [d for d in needed if d[7:] not in blobs]
        missing += [d for d in children
                    if f"{d[7:]}.manifest.json" not in files]
    c.check(not missing, f"{what}: everything the manifests name was copied",
            "\n".join(missing))


def first_schema1(root, repos):
    """(repo, digest) of a revision-linked schema1 manifest, or None."""
    for repo in sorted(repos.values(), key=lambda r: r.name):
        for digest in sorted(repo.revisions):
            text = read_text(blob_path(root, digest[7:]))
            if json.loads(text).get("schemaVersion") == 1:
                return repo.name, digest
    return None


def check_skopeo(c, registry, kinds, schema1, tmp):
    """Pulls a single-platform tag, a multi-arch tag with --all and a schema1
    manifest (by digest: the sample's schema1 builds need not be tagged)."""
    def first(types):
        for media_type in sorted(types):
            if kinds.get(media_type):
                return media_type, kinds[media_type][0]
        return None, None

    cases = []
    for what, types, all_images in (("single-platform tag", IMAGE_TYPES, False),
                                    ("multi-arch tag", INDEX_TYPES, True)):
        media_type, found = first(types)
        if c.check(found is not None, f"the sample has a {what}"):
            name, tag, digest = found
            cases.append((what, f"{name}:{tag}", digest, media_type, all_images))
    if c.check(schema1 is not None, "the sample has a schema1 manifest"):
        name, digest = schema1
        cases.append(("schema1 manifest", f"{name}@{digest}", digest,
                      "application/vnd.docker.distribution.manifest.v1+prettyjws",
                      False))
    for n, (what, reference, digest, media_type, all_images) in enumerate(cases):
        dest = os.path.join(tmp, f"pull-{n}")
        r = skopeo_copy(registry, reference, dest, all_images)
        if c.check(r.returncode == 0,
                   f"skopeo copy{' --all' if all_images else ''} of {what} "
                   f"{reference} ({media_type})", r.stderr):
            check_dir_copy(c, what, dest, digest, media_type)


# ---------------------------------------------------------------------------


def parse_summary(line):
    return dict(part.split("=", 1) for part in line.split() if "=" in part)


def run(c, gen_store, tmp):
    root = os.path.join(tmp, "store")
    r = generate(gen_store, root)
    if not c.check(r.returncode == 0, "gen_store --sample succeeds",
                   r.stdout + r.stderr):
        return
    summary = parse_summary(r.stdout.strip().splitlines()[-1])
    c.check({"repositories", "manifests", "blobs", "bytes", "seconds"} <= set(summary),
            f"gen_store prints a summary: {r.stdout.strip()}")
    repos = check_store(c, root, summary)
    check_age(c, root, repos, time.time())
    check_determinism(c, gen_store, tmp, root)

    registry = Registry(root, tmp)
    r = subprocess.run(["docker-registry", "garbage-collect", "--dry-run",
                        registry.config], capture_output=True, text=True,
                       timeout=300)
    c.check(r.returncode == 0 and "level=error" not in r.stdout + r.stderr,
            "distribution's garbage-collect --dry-run reads the store",
            (r.stdout + r.stderr)[-2000:])
    try:
        if not c.check(registry.start(), "docker-registry serves the store",
                       read_text(registry.log)):
            return
        kinds = check_served(c, registry, repos)
        check_skopeo(c, registry, kinds, first_schema1(root, repos), tmp)
    finally:
        registry.stop()
    # The 404s for deleted manifests are asked for; anything else is not.
    expected = {d for r in repos.values() for d in r.deleted_revisions}
    log = read_text(registry.log)
    errors = [l for l in log.splitlines() if "level=error" in l and
              not any(d in l for d in expected)]
    c.check(not errors, "the registry logged no unexpected errors",
            "\n".join(errors))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regsweep", help="ignored")
    parser.add_argument("--gen-store", required=True)
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary directory")
    args = parser.parse_args()
    # SIGTERM (ctest timeout) runs the finally blocks: the registry stops.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    c = Checks()
    tmp = tempfile.mkdtemp(prefix="gen-store-test-")
    try:
        run(c, os.path.abspath(args.gen_store), tmp)
    except Exception:  # a crash is one failure, reported with its trace
        c.check(False, "the test ran to the end", traceback.format_exc())
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{c.passed} passed, {c.failed} failed", flush=True)
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
