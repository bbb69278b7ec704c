#!/usr/bin/env python3
"""Uploads a filesystem registry store (e.g. one written by build/gen_store)
into an S3 bucket below a root prefix, as distribution's S3 driver lays it
out: the file STORE/docker/registry/v2/X becomes the object
ROOT/docker/registry/v2/X. Python 3 stdlib only.

    python3 tests/integration/s3_load.py --store DIR --endpoint URL \\
        --bucket B --root /some/prefix [--threads 32] [--create-bucket] \\
        [--empty-first] [--region us-east-1] [--json FILE]

Credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or
--access-key/--secret-key). Many PUTs run in parallel (--threads threads,
each with its own kept-alive connection); every PUT is verified: the body's
SHA-256 is signed (x-amz-content-sha256, which the server checks) and the
returned ETag must be the body's MD5. Failed requests (connection errors,
500, 503) are retried a few times. At the end the prefix is listed and
compared with the files (every key present, every size equal), unless
--no-list-check. Prints progress to stderr and a last line

    uploaded N objects, B bytes in T s: X objects/s, Y MB/s

(--json FILE writes the same figures as JSON). The objects' LastModified is
the time of upload: gen_store --age has no effect on S3.

Run a gateway to load into with `python3 tests/integration/rgw.py --env-file
F` (it prints endpoint, keys and bucket).

As a module: upload_store(client, store_dir, root, threads) -> stats dict.
"""

import argparse
import json
import os
import sys
import threading
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rgw  # noqa: E402


def store_files(store_dir):
    """(relative path, size) of every file below store_dir, sorted."""
    out = []
    for dirpath, _, filenames in os.walk(store_dir):
        for name in filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, store_dir).replace(os.sep, "/")
            out.append((rel, os.path.getsize(path)))
    out.sort()
    return out


def root_prefix(root):
    """"/some/prefix" -> "some/prefix/"; "" or "/" -> ""."""
    root = root.strip("/")
    return root + "/" if root else ""


def upload_store(client, store_dir, root, threads=32, progress=True,
                 list_check=True):
    """Uploads every file below store_dir to ROOT/<relative path>. Returns
    {"objects", "bytes", "seconds", "objects_per_s", "mb_per_s"}. Raises on
    the first PUT that fails after retries, or when the listing afterwards
    does not match the files."""
    prefix = root_prefix(root)
    files = store_files(store_dir)
    if not any(rel.startswith("docker/registry/v2/") for rel, _ in files):
        raise RuntimeError(f"{store_dir} holds no docker/registry/v2/")
    total_bytes = sum(size for _, size in files)
    lock = threading.Lock()
    state = {"done": 0, "bytes": 0, "error": None}
    it = iter(files)
    start = time.monotonic()

    def worker():
        while True:
            with lock:
                if state["error"] is not None:
                    return
                try:
                    rel, _ = next(it)
                except StopIteration:
                    return
            try:
                with open(os.path.join(store_dir, rel), "rb") as f:
                    data = f.read()
                client.put_object(prefix + rel, data, verify=True)
            except Exception as e:  # noqa: BLE001 - reported below
                with lock:
                    if state["error"] is None:
                        state["error"] = (rel, e)
                return
            with lock:
                state["done"] += 1
                state["bytes"] += len(data)
        client.close()

    pool = [threading.Thread(target=worker, daemon=True)
            for _ in range(max(1, min(threads, len(files))))]
    for th in pool:
        th.start()
    last = time.monotonic()
    while any(th.is_alive() for th in pool):
        time.sleep(0.2)
        now = time.monotonic()
        if progress and now - last >= 5:
            last = now
            with lock:
                done, nbytes = state["done"], state["bytes"]
            el = now - start
            print(f"s3_load: {done}/{len(files)} objects, "
                  f"{nbytes / 1e6:.1f}/{total_bytes / 1e6:.1f} MB, "
                  f"{done / el:.0f} objects/s", file=sys.stderr, flush=True)
    for th in pool:
        th.join()
    seconds = time.monotonic() - start
    if state["error"] is not None:
        rel, e = state["error"]
        raise RuntimeError(f"PUT of {prefix}{rel} failed: {e}")

    if list_check:
        listed = client.keys(prefix + "docker/")
        want = {prefix + rel: size for rel, size in files
                if rel.startswith("docker/")}
        missing = sorted(set(want) - set(listed))
        wrong = sorted(k for k in want if k in listed and listed[k] != want[k])
        if missing or wrong:
            raise RuntimeError(f"after the upload, {len(missing)} keys are "
                               f"missing (e.g. {missing[:3]}) and {len(wrong)}"
                               f" have the wrong size (e.g. {wrong[:3]})")
    return {"objects": len(files), "bytes": total_bytes,
            "seconds": round(seconds, 3),
            "objects_per_s": round(len(files) / seconds, 1) if seconds else 0,
            "mb_per_s": round(total_bytes / 1e6 / seconds, 2) if seconds
            else 0, "threads": threads}


def main(argv):
    p = argparse.ArgumentParser(
        description="Upload a filesystem registry store into S3.")
    p.add_argument("--store", required=True,
                   help="the store's root directory (holds docker/)")
    p.add_argument("--endpoint", required=True,
                   help="e.g. http://127.0.0.1:7480 (path-style addressing)")
    p.add_argument("--bucket", required=True)
    p.add_argument("--root", default="",
                   help="storage.s3.rootdirectory, e.g. /registry")
    p.add_argument("--region", default=os.environ.get("AWS_REGION",
                                                      "us-east-1"))
    p.add_argument("--access-key",
                   default=os.environ.get("AWS_ACCESS_KEY_ID"))
    p.add_argument("--secret-key",
                   default=os.environ.get("AWS_SECRET_ACCESS_KEY"))
    p.add_argument("--threads", type=int, default=32)
    p.add_argument("--create-bucket", action="store_true",
                   help="create the bucket first (no error if it exists)")
    p.add_argument("--empty-first", action="store_true",
                   help="delete every object below ROOT/ first")
    p.add_argument("--no-list-check", action="store_true",
                   help="skip the listing that checks every key and size")
    p.add_argument("--json", default=None, help="write the figures there")
    args = p.parse_args(argv[1:])
    if not args.access_key or not args.secret_key:
        p.error("no credentials: set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY or pass --access-key/--secret-key")
    client = rgw.S3Client(args.endpoint, args.access_key, args.secret_key,
                          args.region, args.bucket, timeout=120, retries=5)
    if args.create_bucket:
        status, _, body = client.request("PUT", args.bucket)
        if status not in (200, 409):
            print(f"s3_load: creating bucket {args.bucket}: HTTP {status} "
                  f"{body[:300]!r}", file=sys.stderr)
            return 1
    prefix = root_prefix(args.root)
    if args.empty_first:
        keys = client.keys(prefix)
        if prefix == "" and keys:
            print("s3_load: refusing --empty-first of a whole bucket with "
                  "objects in it; give --root", file=sys.stderr)
            return 1
        client.delete_objects(keys)
        print(f"s3_load: deleted {len(keys)} objects below {prefix}",
              file=sys.stderr, flush=True)
    try:
        stats = upload_store(client, args.store, args.root, args.threads,
                             list_check=not args.no_list_check)
    except (RuntimeError, OSError) as e:
        print(f"s3_load: {e}", file=sys.stderr)
        return 1
    if args.json:
        with open(args.json, "w") as f:
            json.dump(stats, f, indent=1)
            f.write("\n")
    print(f"uploaded {stats['objects']} objects, {stats['bytes']} bytes in "
          f"{stats['seconds']:.1f} s: {stats['objects_per_s']:.0f} objects/s"
          f", {stats['mb_per_s']:.1f} MB/s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
