#!/usr/bin/env python3
"""Hostile stores against the real registry: what it serves survives us.

Two families, each pushed through the registry's own API:
  1. Manifests that Go's encoding/json accepts and simdjson rejects (invalid
     UTF-8 in an annotation, nesting past 1024, a number beyond double range,
     an integer above 2^64), whose layer digest is written with JSON \\u
     escapes; and a signature of a tagged image, with the same triggers and
     an escaped subject. The registry accepts and serves them. Real runs in
     default mode and then with -m must keep every blob of every tagged
     image and its signatures; default mode must delete exactly what
     distribution's own dry run deletes (an image deleted through the API).
  2. Symbolic links where the registry keeps revision or tag links (a
     repository directory, revisions/sha256, revisions/sha256/<hex>, with -m
     a tags/<tag> directory). The registry follows them and serves the
     image; regsweep refuses the sweep (exit 3) with one error naming the
     link, and deletes nothing. The image pulls before and after.

Usage (as ctest runs it): test_hostile_registry.py --regsweep PATH
Exit status 0 only if every check passed; the last line is `N passed, N failed`.
"""

import hashlib
import json
import os
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import registry_harness as rh  # noqa: E402

MT_SCHEMA2 = "application/vnd.docker.distribution.manifest.v2+json"
MT_OCI = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.docker.container.image.v1+json"
MT_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"

TRIGGERS = {
    "utf8": b',"annotations":{"note":"caf\xe9"}',
    "deep": b',"x-deep":' + b"[" * 1100 + b"]" * 1100,
    "float": b',"x-big":1e400',
    "bigint": b',"x-count":18446744073709551616',
}


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def escaped(digest):
    """The digest with every character as a JSON \\u escape."""
    return "".join(f"\\u{ord(c):04x}" for c in digest).encode()


def descriptor(media_type, digest, size):
    return json.dumps({"mediaType": media_type, "digest": digest,
                       "size": size}).encode()


def push_blob(reg, repo, data):
    digest = sha256(data)
    reg.upload_blob(repo, digest, data)
    return digest


def push_image(reg, repo, tag, name, trigger=b"", escape=False):
    """A schema2 image with one layer. Returns (manifest digest, blobs)."""
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "name": name}).encode()
    layer = ("layer of " + name).encode()
    config_digest = push_blob(reg, repo, config)
    layer_digest = push_blob(reg, repo, layer)
    layer_ref = escaped(layer_digest) if escape else layer_digest.encode()
    manifest = (b'{"schemaVersion":2,"mediaType":"' + MT_SCHEMA2.encode() +
                b'","config":' + descriptor(MT_CONFIG, config_digest,
                                            len(config)) +
                b',"layers":[{"mediaType":"' + MT_LAYER.encode() +
                b'","digest":"' + layer_ref + b'","size":' +
                str(len(layer)).encode() + b"}]" + trigger + b"}")
    digest = reg.put_manifest(repo, tag, MT_SCHEMA2, manifest)
    return digest, {digest, config_digest, layer_digest}


def push_signature(reg, repo, subject, trigger):
    """An untagged cosign-style signature whose subject is escaped."""
    empty = push_blob(reg, repo, b"{}")
    payload = push_blob(reg, repo, b"signature of " + subject.encode())
    manifest = (b'{"schemaVersion":2,"mediaType":"' + MT_OCI.encode() +
                b'","artifactType":"application/vnd.dev.cosign.artifact.'
                b'sig.v1+json","config":' +
                descriptor("application/vnd.oci.empty.v1+json", empty, 2) +
                b',"layers":[' +
                descriptor("application/vnd.dev.cosign.simplesigning.v1+json",
                           payload, 10) +
                b'],"subject":{"mediaType":"' + MT_SCHEMA2.encode() +
                b'","digest":"' + escaped(subject) + b'","size":100}' +
                trigger + b"}")
    digest = sha256(manifest)
    reg.put_manifest(repo, digest, MT_OCI, manifest)
    return digest, {digest, empty, payload}


def pulls(t, reg, wd, repo, tag, label):
    dest = os.path.join(wd, "pull", label.replace(" ", "_"), repo, tag)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    proc = reg.pull_dir(repo, tag, dest)
    t.check(proc.returncode == 0, f"{label}: skopeo pulls {repo}:{tag}",
            proc.stderr[-2000:])


def hostile_manifests(t, args, wd):
    reg = rh.Registry(wd, name="manifests")
    kept = set()
    with reg:
        for name, trigger in TRIGGERS.items():
            repo = "app-" + name
            digest, blobs = push_image(reg, repo, "latest", name, trigger,
                                       escape=True)
            sig, sig_blobs = push_signature(reg, repo, digest, trigger)
            kept |= blobs | sig_blobs
        # Something to collect: an image deleted through the API.
        old, _ = push_image(reg, "app-utf8", "old", "deleted image")
        reg.delete_manifest("app-utf8", old)
        for name in TRIGGERS:
            pulls(t, reg, wd, "app-" + name, "latest", f"before ({name})")
    dist = rh.distribution_gc(reg.config, dry_run=True)
    ours = rh.run_regsweep_gc(args.regsweep, reg.root,
                              os.path.join(wd, "m-dry.json"), dry_run=True)
    t.check_sets(ours.blobs_eligible, dist.blobs_eligible,
                 "default dry run: eligible blobs equal distribution's")
    for untagged in (False, True):
        label = "-m" if untagged else "default"
        res = rh.run_regsweep_gc(args.regsweep, reg.root,
                                 os.path.join(wd, f"m-{label}.json"),
                                 delete_untagged=untagged)
        t.check(res.returncode in (0, 1) and res.report.get("fatal") is None,
                f"{label}: real run completes", res.describe())
        on_disk = rh.blobs_on_disk(reg.root)
        t.check_sets(kept - on_disk, set(),
                     f"{label}: every blob of the tagged images and their "
                     f"signatures is still on disk")
    with reg:
        for name in TRIGGERS:
            pulls(t, reg, wd, "app-" + name, "latest", f"after ({name})")


def move_and_link(path):
    os.rename(path, path + ".real")
    os.symlink(os.path.basename(path) + ".real", path)


def v2(reg, *parts):
    return os.path.join(reg.root, "docker", "registry", "v2", *parts)


LINK_CASES = [
    ("repository directory", False,
     lambda reg, d: v2(reg, "repositories", "app")),
    ("revisions/sha256", False,
     lambda reg, d: v2(reg, "repositories", "app", "_manifests", "revisions",
                       "sha256")),
    ("revisions/sha256/<hex>", False,
     lambda reg, d: v2(reg, "repositories", "app", "_manifests", "revisions",
                       "sha256", d.split(":")[1])),
    ("tags/<tag> with -m", True,
     lambda reg, d: v2(reg, "repositories", "app", "_manifests", "tags",
                       "latest")),
]


def symbolic_links(t, args, wd):
    for i, (name, untagged, where) in enumerate(LINK_CASES):
        reg = rh.Registry(wd, name=f"links{i}")
        with reg:
            digest, _ = push_image(reg, "app", "latest", "linked " + name)
            old, _ = push_image(reg, "other", "old", "to collect " + name)
            reg.delete_manifest("other", old)
        link = where(reg, digest)
        move_and_link(link)
        with reg:
            pulls(t, reg, wd, "app", "latest", f"{name}: before, via the link")
        before = rh.blobs_on_disk(reg.root)
        res = rh.run_regsweep_gc(args.regsweep, reg.root,
                                 os.path.join(wd, f"links{i}.json"),
                                 delete_untagged=untagged)
        fatal = res.report.get("fatal") or ""
        t.check(res.returncode == 3, f"{name}: the sweep is refused (exit 3)",
                res.describe())
        t.check(os.path.relpath(link, reg.root) in fatal
                and "symbolic link" in fatal,
                f"{name}: the error names the link", fatal)
        t.check(len(res.report.get("fatal_errors", [])) == 1,
                f"{name}: one error", res.report.get("fatal_errors"))
        t.check(res.report.get("blobs_eligible") == [],
                f"{name}: nothing is reported eligible")
        t.check_sets(rh.blobs_on_disk(reg.root), before,
                     f"{name}: nothing was deleted")
        with reg:
            pulls(t, reg, wd, "app", "latest", f"{name}: after")


def main(argv):
    return rh.run_parts("hostile_registry", __doc__, argv,
                        [hostile_manifests, symbolic_links])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
