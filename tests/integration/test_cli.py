"""The regsweep command line as cron and operators meet it: exit codes,
messages that name the file, the JSON report, the drop-in's lines.

Run by ctest as: python3 test_cli.py --regsweep PATH --gen-store PATH
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from registry_harness import TestRun  # noqa: E402

V2 = "docker/registry/v2"


class MiniStore:
    """A store written file by file, enough to provoke each exit code."""

    def __init__(self, root):
        self.root = root
        os.makedirs(os.path.join(root, V2, "blobs"))
        os.makedirs(os.path.join(root, V2, "repositories"))

    def write(self, rel, data):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())

    def blob(self, data):
        data = data if isinstance(data, bytes) else data.encode()
        hexd = hashlib.sha256(data).hexdigest()
        self.write(f"{V2}/blobs/sha256/{hexd[:2]}/{hexd}/data", data)
        return "sha256:" + hexd

    def image(self, repo, layer):
        layer_d = self.blob(layer)
        config_d = self.blob('{"architecture":"amd64","os":"linux","l":"%s"}' % layer)
        manifest = json.dumps({
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                       "digest": config_d, "size": 10},
            "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                        "digest": layer_d, "size": len(layer)}]})
        m = self.blob(manifest)
        self.write(self.revision_link(repo, m), m)
        return m, layer_d

    def revision_link(self, repo, digest):
        return f"{V2}/repositories/{repo}/_manifests/revisions/sha256/{digest[7:]}/link"

    def blob_data(self, digest):
        return f"{V2}/blobs/sha256/{digest[7:9]}/{digest[7:]}/data"


def run(regsweep, *args):
    p = subprocess.run([regsweep, *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--regsweep", required=True)
    ap.add_argument("--gen-store")
    args = ap.parse_args()
    t = TestRun("cli")
    work = tempfile.mkdtemp(prefix="regsweep-cli-")
    try:
        rs = args.regsweep
        code, out, err = run(rs)
        t.check(code == 2 and "usage" in err, "no arguments: usage, exit 2", err)
        code, out, _ = run(rs, "--help")
        t.check(code == 0 and "garbage-collect" in out, "--help: exit 0")
        code, out, _ = run(rs, "gc", "--help")
        t.check(code == 0 and "--delete-untagged" in out and "--grace" in out,
                "gc --help lists the flags", out)
        code, _, err = run(rs, "frobnicate")
        t.check(code == 2 and "not a command" in err, "unknown command: exit 2", err)
        code, _, err = run(rs, "gc", work, "--grace", "soon")
        t.check(code == 2 and "soon" in err, "bad --grace: exit 2, names the value", err)

        empty = os.path.join(work, "empty")
        os.makedirs(empty)
        code, _, err = run(rs, "gc", empty, "--dry-run")
        t.check(code == 2 and "not a registry store" in err and "docker/registry/v2" in err,
                "not a store: exit 2, says which directory is missing", err)
        code, _, err = run(rs, "gc", os.path.join(work, "nowhere"))
        t.check(code == 2 and "nowhere" in err, "missing store: exit 2, names it", err)
        typo = os.path.join(work, "typo")
        code, _, err = run(rs, "index", "stats", "--index", typo)
        t.check(code == 2 and typo in err and not os.path.exists(typo),
                "index stats on no index: exit 2, names it, creates nothing", err)

        s = MiniStore(os.path.join(work, "store"))
        s.image("app", "layer-a")
        orphan = s.blob("orphan")
        code, out, err = run(rs, "gc", s.root, "--dry-run", "--grace", "0")
        t.check(code == 0 and "blobs eligible      1" in out, "clean store: exit 0, summary", out + err)
        code, out, _ = run(rs, "gc", s.root, "--dry-run", "--grace", "0", "--json", "-", "-q")
        report = json.loads(out)
        t.check(report["blobs_eligible"] == [orphan] and report["dry_run"] is True
                and report["fatal"] is None and "mark" in report["phases"],
                "--json - writes the report to stdout", out)
        code, out, _ = run(rs, "gc", s.root, "--dry-run")
        t.check(code == 0 and "blobs eligible      0" in out,
                "default grace keeps what was just written", out)

        config = os.path.join(work, "config.yml")
        with open(config, "w") as f:
            f.write(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {s.root}\n")
        code, out, _ = run(rs, "garbage-collect", config, "-d", "--grace", "0")
        t.check(code == 0 and f"blob eligible for deletion: {orphan}" in out
                and "blobs marked, 1 blobs and 0 manifests eligible for deletion" in out,
                "garbage-collect prints distribution's lines", out)
        code, out, _ = run(rs, "gc", "--config", config, "-d", "--grace", "0", "-q")
        t.check(code == 0 and out == "", "gc --config reads the root; -q prints nothing", out)
        azure = os.path.join(work, "azure.yml")
        with open(azure, "w") as f:
            f.write("version: 0.1\nstorage:\n  azure:\n    accountname: x\n")
        code, _, err = run(rs, "garbage-collect", azure)
        t.check(code == 2 and "not supported" in err and "azure.yml" in err,
                "unsupported driver: exit 2, says why", err)
        s3 = os.path.join(work, "s3.yml")
        with open(s3, "w") as f:
            f.write("version: 0.1\nstorage:\n  s3:\n    bucket: x\n")
        code, _, err = run(rs, "garbage-collect", s3)
        t.check(code == 2 and "region" in err and "s3.yml" in err,
                "s3 config without a region: exit 2, names the setting", err)

        # A malformed link: reported with its path, exit 1, run goes on.
        bad, bad_layer = s.image("broken-link", "layer-b")
        s.write(s.revision_link("broken-link", bad), "not a digest")
        code, out, err = run(rs, "gc", s.root, "--dry-run", "--grace", "0", "--json",
                             os.path.join(work, "r.json"))
        with open(os.path.join(work, "r.json")) as f:
            report = json.load(f)
        t.check(code == 1 and "malformed_link" in err and bad[7:] in err,
                "malformed link: exit 1, warning names the file", err)
        t.check(bad_layer not in report["blobs_eligible"],
                "malformed link still keeps its manifest's layers", report["blobs_eligible"])

        # A manifest that cannot be read: nothing deleted, exit 3, names it.
        unreadable, unreadable_layer = s.image("unreadable", "layer-c")
        data = os.path.join(s.root, s.blob_data(unreadable))
        os.remove(data)
        os.makedirs(data)  # EISDIR on read, even for root
        code, out, err = run(rs, "gc", s.root, "--grace", "0")
        t.check(code == 3 and "nothing was deleted" in err and unreadable[7:] in err,
                "unreadable manifest: exit 3, names the file", err)
        t.check(os.path.exists(os.path.join(s.root, s.blob_data(orphan))),
                "unreadable manifest: the orphan was not deleted")
        shutil.rmtree(data)
        code, out, err = run(rs, "gc", s.root, "--grace", "0", "-q")
        t.check(not os.path.exists(os.path.join(s.root, s.blob_data(orphan))),
                "once fixed, a real run deletes the orphan", err)
    except Exception:  # noqa: BLE001
        t.crash("test_cli")
        import traceback
        traceback.print_exc()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{t.passed} passed, {t.failed} failed")
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
