"""regsweep audit, why and du on generated stores with injected damage.

A store from gen_store is audited clean; then every kind of damage is
injected (bytes flipped in layers, a deleted layer, deleted manifest blobs,
empty and truncated link files, a dangling layer link, an unparseable
manifest, old uploads, an empty repository, an orphan), and the findings
must be exactly those an independent model of the store (below, in Python)
expects: every injected one, and nothing else.

Run by ctest as: python3 test_audit.py --regsweep PATH --gen-store PATH
"""

import argparse
import calendar
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from registry_harness import TestRun  # noqa: E402

V2 = "docker/registry/v2"
WEEK = 7 * 86400
DIGEST = re.compile(r"^(sha256|sha512):([0-9a-f]+)$")


def run(*cmd):
    p = subprocess.run(list(cmd), capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout, p.stderr


def parse_digest(text):
    m = DIGEST.match(text.strip())
    if not m:
        return None
    alg, hexd = m.groups()
    if len(hexd) != (64 if alg == "sha256" else 128):
        return None
    return f"{alg}:{hexd}"


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None


class Store:
    """An independent model of a distribution store: what audit should
    find, computed from the files themselves."""

    def __init__(self, root):
        self.root = root
        self.v2 = os.path.join(root, V2)

    # -- paths
    def blob_dir(self, d):
        alg, hexd = d.split(":")
        return os.path.join(self.v2, "blobs", alg, hexd[:2], hexd)

    def blob_data(self, d):
        return os.path.join(self.blob_dir(d), "data")

    def repo_dir(self, repo):
        return os.path.join(self.v2, "repositories", repo)

    def revision_link(self, repo, d):
        alg, hexd = d.split(":")
        return os.path.join(self.repo_dir(repo), "_manifests/revisions", alg, hexd, "link")

    def tag_link(self, repo, tag):
        return os.path.join(self.repo_dir(repo), "_manifests/tags", tag, "current/link")

    def layer_link(self, repo, d):
        alg, hexd = d.split(":")
        return os.path.join(self.repo_dir(repo), "_layers", alg, hexd, "link")

    def write(self, path, data):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())

    def put_blob(self, data):
        d = "sha256:" + hashlib.sha256(data).hexdigest()
        self.write(self.blob_data(d), data)
        return d

    # -- listing
    def blobs(self):
        out = set()
        base = os.path.join(self.v2, "blobs")
        for alg in sorted(os.listdir(base)):
            for prefix in os.listdir(os.path.join(base, alg)):
                for hexd in os.listdir(os.path.join(base, alg, prefix)):
                    if os.path.isfile(os.path.join(base, alg, prefix, hexd, "data")):
                        out.add(f"{alg}:{hexd}")
        return out

    def repositories(self):
        out = []
        base = os.path.join(self.v2, "repositories")
        for dirpath, dirnames, _ in os.walk(base):
            if "_manifests" in dirnames or "_layers" in dirnames:
                out.append(os.path.relpath(dirpath, base))
            dirnames[:] = [d for d in dirnames if not d.startswith("_")]
        return sorted(out)

    def listdir(self, *parts):
        path = os.path.join(*parts)
        return sorted(os.listdir(path)) if os.path.isdir(path) else []

    def revisions(self, repo):
        """[(named digest, link content or None when missing)]"""
        out = []
        base = os.path.join(self.repo_dir(repo), "_manifests/revisions")
        for alg in self.listdir(base):
            for hexd in self.listdir(base, alg):
                out.append((f"{alg}:{hexd}", read(os.path.join(base, alg, hexd, "link"))))
        return out

    def tags(self, repo):
        base = os.path.join(self.repo_dir(repo), "_manifests/tags")
        return {tag: read(self.tag_link(repo, tag)) for tag in self.listdir(base)}

    def layers(self, repo):
        out = []
        base = os.path.join(self.repo_dir(repo), "_layers")
        for alg in self.listdir(base):
            for hexd in self.listdir(base, alg):
                out.append((f"{alg}:{hexd}", read(os.path.join(base, alg, hexd, "link"))))
        return out

    def uploads(self, repo):
        base = os.path.join(self.repo_dir(repo), "_uploads")
        return [os.path.join(base, u) for u in self.listdir(base)]

    # -- manifests
    def parse(self, d):
        """(is_json, [(reference, role, has_urls)]) or None when missing."""
        data = read(self.blob_data(d))
        if data is None:
            return None
        try:
            m = json.loads(data)
        except ValueError:
            return (False, [])
        refs = []
        if isinstance(m.get("config"), dict):
            refs.append((m["config"]["digest"], "config", False))
        for layer in m.get("layers") or []:
            refs.append((layer["digest"], "layer", bool(layer.get("urls"))))
        for child in m.get("manifests") or []:
            refs.append((child["digest"], "manifest", False))
        for blob in m.get("blobs") or []:
            refs.append((blob["digest"], "blob", False))
        for layer in m.get("fsLayers") or []:
            refs.append((layer["blobSum"], "layer", False))
        return (True, refs)

    def expected_findings(self, now, verify):
        """Every finding audit should report, as (kind, repository, digest,
        tag, manifest, upload directory name) tuples."""
        on_disk = self.blobs()
        found = set()
        self.tags_of_broken = {}  # (repository, manifest) -> tags reaching it
        marked = set()
        for repo in self.repositories():
            revision_digests = set()
            for named, content in self.revisions(repo):
                if content is None:
                    continue
                target = parse_digest(content.decode(errors="replace"))
                ds = {named}
                if target is None:
                    found.add(("malformed_link", repo, named, "", "", ""))
                elif target != named:
                    found.add(("malformed_link", repo, named, "", "", ""))
                    ds.add(target)
                for d in ds:
                    revision_digests.add(d)
                    if d not in on_disk:
                        found.add(("missing_manifest", repo, d, "", "", ""))
            tags = {}
            for tag, content in self.tags(repo).items():
                target = parse_digest(content.decode(errors="replace")) if content else None
                if target is None:
                    found.add(("malformed_link", repo, "", tag, "", ""))
                    continue
                tags[tag] = target
                if target not in on_disk:
                    found.add(("missing_manifest", repo, target, tag, "", ""))
                elif target not in revision_digests:
                    found.add(("untracked_tag", repo, target, tag, "", ""))
            for named, content in self.layers(repo):
                target = parse_digest(content.decode(errors="replace")) if content else None
                if content is not None and target != named:
                    found.add(("malformed_link", repo, named, "", "", ""))
                if named not in on_disk:
                    found.add(("dangling_layer_link", repo, named, "", "", ""))
            for upload in self.uploads(repo):
                started = read(os.path.join(upload, "startedat"))
                if started is not None:
                    when = calendar.timegm(time.strptime(started.decode().strip(),
                                                         "%Y-%m-%dT%H:%M:%SZ"))
                else:
                    when = os.stat(upload).st_mtime
                if when < now - WEEK:
                    found.add(("stale_upload", repo, "", "", "", os.path.basename(upload)))
            if not any(c is not None for _, c in self.revisions(repo)) and not self.tags(repo):
                found.add(("empty_repository", repo, "", "", "", ""))
            # Manifests: what they keep, what they miss.
            parsed = {d: self.parse(d) for d in revision_digests}
            parents = {}
            for d, p in parsed.items():
                for ref, _, _ in (p[1] if p else []):
                    if ref in parsed:
                        parents.setdefault(ref, set()).add(d)

            def tags_reaching(d):
                reached, work = {d}, [d]
                while work:
                    for parent in parents.get(work.pop(), ()):
                        if parent not in reached:
                            reached.add(parent)
                            work.append(parent)
                return sorted(t for t, target in tags.items() if target in reached)

            for d, p in parsed.items():
                if p is None:
                    continue
                marked.add(d)
                is_json, refs = p
                if not is_json:
                    found.add(("unparseable_manifest", repo, d, "", "", ""))
                    continue
                for ref, _, has_urls in refs:
                    marked.add(ref)
                    if ref not in on_disk and not has_urls:
                        found.add(("missing_blob", repo, ref, "", d, ""))
                        self.tags_of_broken[(repo, d)] = tags_reaching(d)
        for d in on_disk - marked:
            found.add(("orphaned_blob", "", d, "", "", ""))
        if verify:
            for d in on_disk:
                alg, hexd = d.split(":")
                if hashlib.new(alg, read(self.blob_data(d))).hexdigest() != hexd:
                    found.add(("digest_mismatch", "", d, "", "", ""))
        return found


def audit(rs, root, *extra):
    code, out, err = run(rs, "audit", root, "--json", "-", *extra)
    report = json.loads(out)
    keys = {(f["kind"], f.get("repository", ""), f.get("digest", ""), f.get("tag", ""),
             f.get("manifest", ""),
             os.path.basename(f["path"]) if f["kind"] == "stale_upload" else "")
            for f in report["findings"]}
    return code, report, keys, err


def age_everything(root, seconds):
    when = time.time() - seconds
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.utime(os.path.join(dirpath, name), (when, when), follow_symlinks=False)


def inject(store, t):
    """Damages the store in every way audit knows; returns what was done."""
    done = {}
    repos = store.repositories()
    # Manifests by what they are.
    images, indexes, children = [], [], set()
    for repo in repos:
        for named, _ in store.revisions(repo):
            p = store.parse(named)
            if not p or not p[0]:
                continue
            kinds = {role for _, role, _ in p[1]}
            if "manifest" in kinds:
                indexes.append((repo, named))
                children.update((repo, ref) for ref, role, _ in p[1] if role == "manifest")
            elif "layer" in kinds:
                images.append((repo, named))
    tagged = {(repo, parse_digest(c.decode())) for repo in repos
              for c in store.tags(repo).values() if c}
    t.check(indexes and images, "the generated store has indexes and images")
    # A child of a tagged multi-platform index, and a tagged single image,
    # deleted: so broken images have tags to list.
    index_repo, index = sorted(i for i in indexes if i in tagged)[0]
    child = sorted(ref for ref, role, _ in store.parse(index)[1] if role == "manifest")[0]
    child_repo = index_repo
    done["deleted_child"] = (child_repo, child)
    tagged_image = sorted(i for i in images if i in tagged and i not in children
                          and i[0] != child_repo)[0]
    done["deleted_tagged"] = tagged_image
    # Layers of other tagged images: two get a byte flipped, a third is
    # deleted.
    layers = sorted({ref for i in images if i in tagged and i != tagged_image
                     and i[1] != child and i[0] != tagged_image[0]
                     for ref, role, _ in store.parse(i[1])[1] if role == "layer"})
    t.check(len(layers) >= 3, "the generated store has enough layers", layers)
    done["flipped"] = layers[:2]
    for d in done["flipped"]:
        path = store.blob_data(d)
        data = bytearray(read(path))
        data[len(data) // 2] ^= 0x40
        store.write(path, bytes(data))
    done["deleted_layer"] = layers[2]
    shutil.rmtree(store.blob_dir(layers[2]))
    shutil.rmtree(store.blob_dir(child))
    shutil.rmtree(store.blob_dir(tagged_image[1]))
    # An empty revision link, a truncated tag link, a truncated layer link.
    untouched = [i for i in images if i not in children and i != tagged_image
                 and i[0] not in (child_repo, tagged_image[0])]
    repo, m = untouched[0]
    store.write(store.revision_link(repo, m), b"")
    done["empty_revision_link"] = (repo, m)
    for repo in repos:
        tags = store.tags(repo)
        if repo not in (child_repo, tagged_image[0]) and tags:
            tag = sorted(tags)[0]
            store.write(store.tag_link(repo, tag), tags[tag][:20])
            done["truncated_tag_link"] = (repo, tag)
            break
    repo, layer_link = next((r, d) for r in repos for d, _ in store.layers(r)
                            if d not in done["flipped"] and d != done["deleted_layer"])
    store.write(store.layer_link(repo, layer_link), b"sha256:0123")
    done["truncated_layer_link"] = (repo, layer_link)
    # A dangling layer link, an unparseable manifest, an orphan.
    dangling = "sha256:" + hashlib.sha256(b"never uploaded").hexdigest()
    store.write(store.layer_link(repos[-1], dangling), dangling)
    done["dangling"] = (repos[-1], dangling)
    junk = store.put_blob(b"<html>502 Bad Gateway</html>")
    store.write(store.revision_link(repos[0], junk), junk)
    done["unparseable"] = (repos[0], junk)
    done["orphan"] = store.put_blob(b"an orphan")
    old = time.time() - 3 * 86400
    os.utime(store.blob_data(done["orphan"]), (old, old))
    # Uploads: one old, one old without startedat, one fresh; an empty
    # repository.
    uploads = os.path.join(store.repo_dir(repos[1]), "_uploads")
    store.write(os.path.join(uploads, "old-upload", "startedat"), "2021-03-04T05:06:07Z")
    store.write(os.path.join(uploads, "old-upload", "data"), b"x" * 1000)
    store.write(os.path.join(uploads, "fresh-upload", "startedat"),
                time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    store.write(os.path.join(uploads, "nameless", "data"), b"")
    old = time.time() - 30 * 86400
    os.utime(os.path.join(uploads, "nameless"), (old, old))
    done["uploads_repo"] = repos[1]
    os.makedirs(os.path.join(store.repo_dir("abandoned"), "_manifests"))
    return done


def check_injected(t, done, keys):
    """Every injected damage shows up as the finding it should."""
    def has(kind, repo="", digest="", tag=""):
        return any(k[0] == kind and k[1] == repo and k[2] == digest and k[3] == tag
                   for k in keys)
    for d in done["flipped"]:
        t.check(has("digest_mismatch", "", d), f"flipped layer {d[:19]}: digest_mismatch")
    t.check(any(k[0] == "missing_blob" and k[2] == done["deleted_layer"] for k in keys),
            "deleted layer: missing_blob")
    repo, child = done["deleted_child"]
    t.check(has("missing_manifest", repo, child), "deleted child: missing_manifest")
    t.check(any(k[0] == "missing_blob" and k[1] == repo and k[2] == child for k in keys),
            "deleted child: its index is a missing_blob")
    repo, m = done["deleted_tagged"]
    t.check(has("missing_manifest", repo, m), "deleted tagged manifest: revision link")
    t.check(any(k[0] == "missing_manifest" and k[1] == repo and k[2] == m and k[3]
                for k in keys), "deleted tagged manifest: tag link")
    repo, m = done["empty_revision_link"]
    t.check(has("malformed_link", repo, m), "empty revision link: malformed_link")
    repo, tag = done["truncated_tag_link"]
    t.check(has("malformed_link", repo, "", tag), "truncated tag link: malformed_link")
    repo, layer = done["truncated_layer_link"]
    t.check(has("malformed_link", repo, layer), "truncated layer link: malformed_link")
    t.check(has("dangling_layer_link", *done["dangling"]), "dangling layer link")
    t.check(has("unparseable_manifest", *done["unparseable"]), "unparseable manifest")
    t.check(has("orphaned_blob", "", done["orphan"]), "orphan: orphaned_blob")
    stale = {(k[1], k[5]) for k in keys if k[0] == "stale_upload"}
    t.check(stale == {(done["uploads_repo"], "old-upload"), (done["uploads_repo"], "nameless")},
            "the two old uploads are stale, the fresh one is not", stale)
    t.check(has("empty_repository", "abandoned"), "empty repository")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--regsweep", required=True)
    ap.add_argument("--gen-store", required=True)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    t = TestRun("audit")
    rs = args.regsweep
    work = tempfile.mkdtemp(prefix="regsweep-audit-")
    try:
        root = os.path.join(work, "store")
        code, out, err = run(args.gen_store, "--root", root, "--seed", "11", "--repos", "8",
                             "--builds", "6", "--orphans", "0", "--uploads", "0",
                             "--deleted-fraction", "0", "--multiarch-fraction", "0.3",
                             "--referrer-fraction", "0.3", "--schema1-fraction", "0.1",
                             "--nested")
        t.check(code == 0, "gen_store writes a store", err)
        age_everything(root, 2 * 86400)
        store = Store(root)

        code, report, keys, err = audit(rs, root, "--verify-digests")
        t.check(code == 0 and keys == set() and report["summary"]["clean"],
                "a clean store: no findings, exit 0", keys or err)
        t.check(report["summary"]["verify"]["blobs"] == len(store.blobs()),
                "--verify-digests hashes every blob", report["summary"])
        t.check(store.expected_findings(time.time(), True) == set(),
                "the model agrees the store is clean")

        done = inject(store, t)
        expected = store.expected_findings(time.time(), True)
        code, report, keys, err = audit(rs, root, "--verify-digests")
        t.check(code == 1, "damaged store: exit 1", err)
        t.check_sets(keys, expected, "audit finds exactly what the model expects")
        check_injected(t, done, keys)
        for f in report["findings"]:
            if f["kind"] == "missing_blob":
                want = store.tags_of_broken.get((f["repository"], f["manifest"]))
                t.check(f["tags"] == want,
                        f"missing_blob {f['digest'][:19]} in {f['repository']} lists the "
                        f"tags reaching {f['manifest'][:19]}", (f["tags"], want))
        t.check(all(f["detail"] for f in report["findings"]), "every finding says what to do")
        counts = report["summary"]["by_kind"]
        t.check(sum(counts.values()) == len(report["findings"]), "summary counts add up", counts)

        # Without --verify-digests the flipped layers go unnoticed, and
        # nothing else changes.
        code, _, plain_keys, _ = audit(rs, root)
        t.check(plain_keys == {k for k in keys if k[0] != "digest_mismatch"},
                "without --verify-digests: the same minus digest_mismatch")

        # The terminal groups by kind, with counts.
        code, out, _ = run(rs, "audit", root, "--verify-digests")
        for kind, count in counts.items():
            if count:
                t.check(re.search(rf"^{kind}: {count}\b", out, re.M) is not None,
                        f"terminal: '{kind}: {count}' group", out[:2000])

        # The orphans are what gc would delete.
        code, out, _ = run(rs, "gc", root, "--dry-run", "--grace", "0", "--json", "-", "-q")
        gc_report = json.loads(out)
        orphans = {k[2] for k in keys if k[0] == "orphaned_blob"}
        t.check_sets(orphans, set(gc_report["blobs_eligible"]),
                     "orphaned_blob = gc's eligible blobs")

        # why: a live layer is kept by chains; the orphan would be deleted.
        live = sorted(k for k in store.blobs() if ("orphaned_blob", "", k, "", "", "") not in keys
                      and not k == done["unparseable"][1])[0]
        code, out, _ = run(rs, "why", root, live)
        t.check(code == 0 and "is kept by" in out and " -> " in out,
                "why: a referenced blob is kept, with its chains", out[:1500])
        code, out, _ = run(rs, "why", root, done["orphan"], "--json", "-")
        why = json.loads(out)
        t.check(code == 1 and not why["kept"] and why["would_be_deleted"],
                "why: the orphan would be deleted", out)
        code, out, _ = run(rs, "why", root, done["orphan"])
        t.check("would delete it" in out and "Unreferenced for at most" in out,
                "why: says since when, at most", out)

        # du: per repository, unique + shared = total; gc reclaims the
        # orphans' bytes.
        code, out, err = run(rs, "du", root, "--json", "-", "--grace", "0")
        du = json.loads(out)
        t.check(code == 0 and all(r["unique_bytes"] + r["shared_bytes"] == r["bytes"]
                                  for r in du["repositories"]),
                "du: unique + shared = total per repository", err)
        t.check(du["total"]["reclaimable_bytes"] == gc_report["bytes_eligible"],
                "du: reclaimable bytes = gc's eligible bytes",
                (du["total"], gc_report["bytes_eligible"]))
        code, out, _ = run(rs, "du", root)
        t.check(code == 0 and "UNIQUE" in out and "gc reclaims" in out, "du: the table", out)

        # The sample store: its orphans and its upload, nothing else.
        sample = os.path.join(work, "sample")
        run(args.gen_store, "--sample", "--root", sample)
        code, report, keys, _ = audit(rs, sample)
        code2, out, _ = run(rs, "gc", sample, "--dry-run", "--grace", "0", "--json", "-", "-q")
        t.check_sets({k[2] for k in keys if k[0] == "orphaned_blob"},
                     set(json.loads(out)["blobs_eligible"]),
                     "sample store: orphaned blobs = gc's eligible blobs")
        t.check({k[0] for k in keys} == {"orphaned_blob", "stale_upload"},
                "sample store: only orphans and its old upload", {k[0] for k in keys})

        # Usage errors.
        code, _, err = run(rs, "audit", os.path.join(work, "nowhere"))
        t.check(code == 2, "audit of a missing store: exit 2", err)
        code, _, err = run(rs, "why", root, "sha256:abc")
        t.check(code == 2 and "not a digest" in err, "why with a bad digest: exit 2", err)
    except Exception:  # noqa: BLE001
        t.crash("test_audit")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
