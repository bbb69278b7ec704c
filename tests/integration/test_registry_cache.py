#!/usr/bin/env python3
"""The registry's blob-descriptor cache against a real `gc` run while the
registry keeps serving (docker-registry serve, its config's
storage.cache.blobdescriptor):

  redis     a real redis-server. An image is pushed, its manifest deleted
            through the API, then `regsweep gc --config` deletes its layer
            with the registry up. The cache's entries for the layer are gone
            (blobs::<digest>, repository::<name>::blobs...), so a new push
            that reuses the layer has to upload it again, and its image
            pulls (skopeo, which checks every digest). With Redis stopped, a
            real run refuses with exit 2 and deletes nothing.
  inmemory  the same run warns that the registry must be restarted; the
            registry really does keep saying the layer exists (the push
            skips the upload and the image does not pull: why the warning
            is there); after a restart the same push works.
  none      no cache: the push after the run uploads and pulls.

Run by ctest as: python3 test_registry_cache.py --regsweep PATH
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import registry_harness as rh  # noqa: E402

REDIS_SERVER = "redis-server"
REDIS_CLI = "redis-cli"
CONFIG_MT = "application/vnd.oci.image.config.v1+json"
LAYER_MT = "application/vnd.oci.image.layer.v1.tar"
MANIFEST_MT = "application/vnd.oci.image.manifest.v1+json"


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class CachedRegistry(rh.Registry):
    """A registry whose config names a blob-descriptor cache."""

    def __init__(self, workdir, name, cache_section):
        self.cache_section = cache_section
        super().__init__(workdir, name)

    def _write_config(self, port):
        super()._write_config(port)
        with open(self.config) as f:
            text = f.read()
        text = text.replace("storage:\n", "storage:\n" + self.cache_section[0],
                            1) + self.cache_section[1]
        with open(self.config, "w") as f:
            f.write(text)


class Redis:
    def __init__(self, workdir):
        self.port = rh.free_port()
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", workdir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        for _ in range(100):
            if self.cli("PING") == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def cli(self, *words):
        p = subprocess.run([REDIS_CLI, "-p", str(self.port)] + list(words),
                           capture_output=True, text=True, timeout=10)
        return p.stdout.strip()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def push_image(reg, repo, tag, layer, note):
    """Pushes an image as a client does: a blob the registry says it has
    (HEAD 200) is not uploaded. Returns (manifest digest, layer uploaded)."""
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "note": note}).encode()
    uploaded = False
    for data in (config, layer):
        if reg.blob_status(repo, sha(data)) != 200:
            reg.upload_blob(repo, sha(data), data)
            uploaded = uploaded or data is layer
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MANIFEST_MT,
        "config": {"mediaType": CONFIG_MT, "digest": sha(config),
                   "size": len(config)},
        "layers": [{"mediaType": LAYER_MT, "digest": sha(layer),
                    "size": len(layer)}]}).encode()
    reg.put_manifest(repo, tag, MANIFEST_MT, manifest)
    return sha(manifest), uploaded


def gc_online(args, reg, extra=()):
    return rh.run([args.regsweep, "gc", "--config", reg.config, "-m",
                   "--grace", "0"] + list(extra), check=False, timeout=300)


def deleted_image(reg, label):
    """Pushes app:old with a layer of its own, reads it back (so the cache
    holds it), deletes the manifest through the API. Returns the layer."""
    layer = f"layer of {label} {time.time()}".encode() * 100
    digest, _ = push_image(reg, "app", "old", layer, label + " old")
    reg.blob_status("app", sha(layer))
    reg.delete_manifest("app", digest)
    return layer


def pulls(reg, wd, tag):
    dest = os.path.join(wd, "pull-" + tag)
    shutil.rmtree(dest, ignore_errors=True)
    return reg.pull_dir("app", tag, dest).returncode == 0


def part_redis(t, args, wd):
    redis = Redis(wd)
    try:
        reg = CachedRegistry(wd, "redis", (
            "  cache:\n    blobdescriptor: redis\n",
            f"redis:\n  addr: 127.0.0.1:{redis.port}\n"))
        reg.start()
        layer = deleted_image(reg, "redis")
        d = sha(layer)
        t.check(redis.cli("EXISTS", "blobs::" + d) == "1"
                and redis.cli("SISMEMBER", "repository::app::blobs", d) == "1",
                "redis: the registry cached the layer", redis.cli("KEYS", "*"))
        p = gc_online(args, reg)
        t.check(p.returncode == 0
                and not os.path.exists(rh.blob_data_path(reg.root, d)),
                "redis: gc with the registry up deletes the layer",
                f"exit {p.returncode}: {p.stderr[-800:]}")
        t.check(redis.cli("EXISTS", "blobs::" + d) == "0"
                and redis.cli("SISMEMBER", "repository::app::blobs", d) == "0"
                and redis.cli("EXISTS", f"repository::app::blobs::{d}") == "0",
                "redis: its cache entries are gone", redis.cli("KEYS", "*"))
        _, uploaded = push_image(reg, "app", "new", layer, "redis new")
        t.check(uploaded and pulls(reg, wd, "new"),
                "redis: a push reusing the layer uploads it, and the image "
                "pulls", f"uploaded={uploaded}")
        # Redis down: nothing deleted.
        deleted_image(reg, "redis again")
        before = rh.blobs_on_disk(reg.root)
        redis.stop()
        p = gc_online(args, reg)
        t.check(p.returncode == 2 and "nothing was deleted" in p.stderr
                and f"127.0.0.1:{redis.port}" in p.stderr
                and rh.blobs_on_disk(reg.root) == before,
                "redis: unreachable, a real run exits 2 naming it, nothing "
                "deleted", f"exit {p.returncode}: {p.stderr[-800:]}")
        dry = gc_online(args, reg, ["--dry-run"])
        t.check(dry.returncode == 0, "redis: unreachable, a dry run works",
                dry.stderr[-400:])
    finally:
        redis.stop()


def part_inmemory(t, args, wd):
    reg = CachedRegistry(wd, "inmemory", (
        "  cache:\n    blobdescriptor: inmemory\n", ""))
    reg.start()
    layer = deleted_image(reg, "inmemory")
    p = gc_online(args, reg)
    t.check(p.returncode == 0 and "restart the registry" in p.stderr,
            "inmemory: a real run says the registry must be restarted",
            f"exit {p.returncode}: {p.stderr[-800:]}")
    _, uploaded = push_image(reg, "app", "stale", layer, "inmemory stale")
    t.check(not uploaded and not pulls(reg, wd, "stale"),
            "inmemory: without a restart the registry still says the layer "
            "exists and the pushed image does not pull (why the warning)",
            f"uploaded={uploaded}")
    reg.stop()
    reg.start()
    _, uploaded = push_image(reg, "app", "fresh", layer, "inmemory fresh")
    t.check(uploaded and pulls(reg, wd, "fresh"),
            "inmemory: after a restart the push uploads and pulls",
            f"uploaded={uploaded}")
    p = gc_online(args, reg, ["--dry-run"])
    t.check("restart the registry" not in p.stderr,
            "inmemory: a dry run deletes nothing and does not warn",
            p.stderr[-400:])


def part_none(t, args, wd):
    reg = CachedRegistry(wd, "none", ("", ""))
    reg.start()
    layer = deleted_image(reg, "none")
    p = gc_online(args, reg)
    t.check(p.returncode == 0 and "restart" not in p.stderr,
            "none: a real run, no warning", p.stderr[-400:])
    _, uploaded = push_image(reg, "app", "new", layer, "none new")
    t.check(uploaded and pulls(reg, wd, "new"),
            "none: a push reusing the layer uploads it and pulls")


def main(argv):
    if shutil.which(REDIS_SERVER) is None:
        print("redis-server is missing (tools/install-deps installs it)")
        return 1
    return rh.run_parts("registry_cache", __doc__, argv,
                        [part_redis, part_inmemory, part_none])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
