"""Property test of incremental passes: after every round of random changes
to a generated store, an incremental dry run (reusing the index of earlier
passes) must name exactly the blobs and manifests that a full dry run names,
in both modes. Rounds include passes killed halfway and real (deleting)
incremental runs.

Run by ctest as: python3 test_incremental.py --regsweep PATH --gen-store PATH
"""

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from registry_harness import TestRun  # noqa: E402

V2 = os.path.join("docker", "registry", "v2")
ROUNDS = 60


class Store:
    """Changes a store the way the registry (or an operator) would."""

    def __init__(self, root, rng):
        self.root = root
        self.rng = rng
        self.counter = 0

    def path(self, *parts):
        return os.path.join(self.root, V2, *parts)

    def write(self, rel_parts, data):
        p = self.path(*rel_parts)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())

    def repos(self):
        out = []
        top = self.path("repositories")
        for dirpath, dirnames, _ in os.walk(top):
            if "_manifests" in dirnames or "_layers" in dirnames:
                out.append(os.path.relpath(dirpath, top))
            dirnames[:] = [d for d in dirnames if not d.startswith("_")]
        return sorted(out)

    def revisions(self, repo):
        d = self.path("repositories", repo, "_manifests", "revisions", "sha256")
        if not os.path.isdir(d):
            return []
        return sorted(h for h in os.listdir(d)
                      if os.path.exists(os.path.join(d, h, "link")))

    def tags(self, repo):
        d = self.path("repositories", repo, "_manifests", "tags")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def blob(self, data):
        data = data if isinstance(data, bytes) else data.encode()
        h = hashlib.sha256(data).hexdigest()
        self.write(("blobs", "sha256", h[:2], h, "data"), data)
        return h

    def link(self, repo, kind, h):
        self.write(("repositories", repo, kind, "sha256", h, "link"), "sha256:" + h)

    def set_tag(self, repo, tag, h):
        self.write(("repositories", repo, "_manifests", "tags", tag, "current", "link"),
                   "sha256:" + h)
        self.write(("repositories", repo, "_manifests", "tags", tag, "index", "sha256",
                    h, "link"), "sha256:" + h)

    # -- changes ---------------------------------------------------------
    def push_build(self, repo=None):
        repo = repo or self.rng.choice(self.repos() or ["fresh/repo"])
        self.counter += 1
        shared = self.rng.random() < 0.5 and self.existing_layer()
        layers = [shared] if shared else []
        layers.append(self.blob(f"layer {self.counter} {self.rng.random()}"))
        config = self.blob(json.dumps({"architecture": "amd64", "os": "linux",
                                       "n": self.counter}))
        manifest = json.dumps({
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                       "digest": "sha256:" + config, "size": 1},
            "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                        "digest": "sha256:" + h, "size": 1} for h in layers]})
        m = self.blob(manifest)
        for h in layers + [config]:
            self.link(repo, "_layers", h)
        self.link(repo, os.path.join("_manifests", "revisions"), m)
        if self.rng.random() < 0.7:
            self.set_tag(repo, self.rng.choice(["latest", "v1", "v2", f"b{self.counter}"]), m)
        return f"push {repo}"

    def existing_layer(self):
        repos = self.repos()
        if not repos:
            return None
        d = self.path("repositories", self.rng.choice(repos), "_layers", "sha256")
        if not os.path.isdir(d) or not os.listdir(d):
            return None
        h = self.rng.choice(sorted(os.listdir(d)))
        return h if os.path.exists(self.path("blobs", "sha256", h[:2], h, "data")) else None

    def move_tag_in_place(self):
        """Rewrites a current link in place and puts the directory times
        back: only the link's content says the tag moved."""
        repo = self.rng.choice(self.repos())
        tags, revs = self.tags(repo), self.revisions(repo)
        if not tags or not revs:
            return "move (nothing)"
        tag = self.rng.choice(tags)
        tag_dir = self.path("repositories", repo, "_manifests", "tags", tag)
        cur = os.path.join(tag_dir, "current")
        saved = {p: os.stat(p) for p in (tag_dir, cur) if os.path.exists(p)}
        h = self.rng.choice(revs)
        os.makedirs(cur, exist_ok=True)
        with open(os.path.join(cur, "link"), "w") as f:
            f.write("sha256:" + h)
        for p, st in saved.items():
            os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
        return f"move {repo}:{tag}"

    def delete_tag(self):
        repo = self.rng.choice(self.repos())
        tags = self.tags(repo)
        if not tags:
            return "untag (nothing)"
        tag = self.rng.choice(tags)
        shutil.rmtree(self.path("repositories", repo, "_manifests", "tags", tag))
        return f"untag {repo}:{tag}"

    def delete_manifest(self):
        """As the API does: the link goes, its directory stays."""
        repo = self.rng.choice(self.repos())
        revs = self.revisions(repo)
        if not revs:
            return "delete (nothing)"
        h = self.rng.choice(revs)
        os.remove(self.path("repositories", repo, "_manifests", "revisions", "sha256",
                            h, "link"))
        for tag in self.tags(repo):
            link = self.path("repositories", repo, "_manifests", "tags", tag, "current",
                             "link")
            if os.path.exists(link) and open(link).read().strip() == "sha256:" + h:
                shutil.rmtree(self.path("repositories", repo, "_manifests", "tags", tag))
        return f"delete {repo}@{h[:8]}"

    def remove_layer_link(self):
        repo = self.rng.choice(self.repos())
        d = self.path("repositories", repo, "_layers", "sha256")
        if not os.path.isdir(d) or not os.listdir(d):
            return "unlayer (nothing)"
        shutil.rmtree(os.path.join(d, self.rng.choice(sorted(os.listdir(d)))))
        return f"unlayer {repo}"

    def add_orphan(self):
        self.blob(f"orphan {self.rng.random()}")
        return "orphan"

    def add_repository(self):
        self.counter += 1
        return self.push_build(f"new/repo{self.counter}")

    def delete_repository(self):
        repos = self.repos()
        if len(repos) < 3:
            return "rmrepo (nothing)"
        repo = self.rng.choice(repos)
        shutil.rmtree(self.path("repositories", repo, "_manifests"), ignore_errors=True)
        shutil.rmtree(self.path("repositories", repo, "_layers"), ignore_errors=True)
        return f"rmrepo {repo}"

    def break_link(self):
        repo = self.rng.choice(self.repos())
        revs = self.revisions(repo)
        if not revs:
            return "break (nothing)"
        h = self.rng.choice(revs)
        with open(self.path("repositories", repo, "_manifests", "revisions", "sha256",
                            h, "link"), "w") as f:
            f.write(self.rng.choice(["", "garbage", "sha256:" + h + "\n"]))
        return f"break {repo}@{h[:8]}"


def gc(regsweep, root, *extra):
    out = tempfile.mktemp(suffix=".json")
    p = subprocess.run([regsweep, "gc", root, "--grace", "0", "-q", "--json", out, *extra],
                       capture_output=True, text=True, timeout=300)
    if p.returncode not in (0, 1):
        raise RuntimeError(f"regsweep gc {' '.join(extra)} exited {p.returncode}: {p.stderr}")
    with open(out) as f:
        report = json.load(f)
    os.remove(out)
    return report


def eligible(report):
    return (set(report["blobs_eligible"]),
            {(m["repository"], m["digest"]) for m in report["manifests_eligible"]})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--regsweep", required=True)
    ap.add_argument("--gen-store", required=True)
    ap.add_argument("--rounds", type=int, default=ROUNDS)
    ap.add_argument("--seed", type=int, default=20261126)
    args = ap.parse_args()
    t = TestRun("incremental")
    rng = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="regsweep-incr-")
    try:
        root = os.path.join(work, "store")
        index = os.path.join(work, "index")
        subprocess.run([args.gen_store, "--sample", "--root", root, "--seed", "5"],
                       check=True, capture_output=True)
        store = Store(root, rng)
        # One index per mode, as an operator's cron job keeps: a stored mark
        # is reused only by a pass of the mode that made it.
        indexes = {(): index, ("-m",): os.path.join(work, "index-m")}
        for mode, mode_index in indexes.items():
            first = gc(args.regsweep, root, "--dry-run", "--index", mode_index, *mode)
            t.check(first.get("pass") == "full", "the first pass with a new index is full",
                    first.get("pass"))
        changes = [store.push_build, store.move_tag_in_place, store.delete_tag,
                   store.delete_manifest, store.remove_layer_link, store.add_orphan,
                   store.add_repository, store.delete_repository, store.break_link]
        killed = set()  # modes whose index a killed pass left unfinished
        reused = 0  # repositories incremental passes took from the index
        for round_no in range(args.rounds):
            # regsweep re-reads whatever changed within a second of a pass
            # (timestamps could hide a change made in the same clock tick).
            # Let the last round's changes age, so that the passes of the
            # last round stored reusable marks and listings and this
            # round's changes must be seen through the stamps.
            time.sleep(1.1)
            done = [rng.choice(changes)() for _ in range(rng.randint(1, 4))]
            for mode in ((), ("-m",)):
                inc = gc(args.regsweep, root, "--dry-run", "--index", indexes[mode], *mode)
                if inc.get("pass") == "incremental":
                    reused += inc["repositories"] - inc["repositories_reread"]
                full = gc(args.regsweep, root, "--dry-run", "--full", *mode)
                what = f"round {round_no} {'-m' if mode else 'default'} ({'; '.join(done)})"
                ib, im = eligible(inc)
                fb, fm = eligible(full)
                t.check_sets(ib, fb, f"{what}: same blobs")
                t.check_sets(im, fm, f"{what}: same manifests")
                # After a kill the pass may be full (the killed one had marked
                # the index incomplete) or incremental (killed before that).
                if mode not in killed:
                    t.check(inc.get("pass") == "incremental",
                            f"{what}: the pass is incremental", inc.get("pass"))
                killed.discard(mode)
            if round_no % 7 == 3:
                # A pass killed halfway: the next one must still be right.
                victim = rng.choice(list(indexes))
                p = subprocess.Popen([args.regsweep, "gc", root, "--dry-run", "--grace", "0",
                                      "-q", "--index", indexes[victim], "--full", *victim],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(rng.uniform(0.0, 0.05))
                p.send_signal(signal.SIGKILL)
                p.wait()
                killed.add(victim)
            if round_no % 10 == 9:
                # A real incremental run, then nothing may be left to delete.
                gc(args.regsweep, root, "--index", indexes[("-m",)], "-m")
                after = gc(args.regsweep, root, "--dry-run", "--full", "-m")
                b, m = eligible(after)
                t.check(not b and not m, f"round {round_no}: a real incremental run "
                        "leaves nothing a full pass would delete", (b, m))
                killed.discard(("-m",))
        t.check(reused > args.rounds, "incremental passes took unchanged "
                "repositories from the index", reused)
        # An index from another store, or a damaged one: a full pass, a
        # warning, and the same answer.
        other = os.path.join(work, "other")
        shutil.copytree(root, other, symlinks=True)
        moved = gc(args.regsweep, other, "--dry-run", "--index", index)
        reference = gc(args.regsweep, other, "--dry-run", "--full")
        t.check(moved["pass"] == "full" and any("another store" in w for w in moved["warnings"]),
                "an index from another store gives a full pass with a warning", moved["warnings"])
        t.check(eligible(moved) == eligible(reference), "... and the same answer")
        damaged = os.path.join(work, "damaged")
        os.makedirs(damaged)
        with open(os.path.join(damaged, "CURRENT"), "w") as f:
            f.write("garbage")
        time.sleep(1.1)  # nothing changed within the last second: all reusable
        broken = gc(args.regsweep, root, "--dry-run", "--index", damaged)
        t.check(broken["pass"] == "full" and any("could not be used" in w for w in broken["warnings"]),
                "a damaged index gives a full pass with a warning", broken["warnings"])
        t.check(eligible(broken) == eligible(gc(args.regsweep, root, "--dry-run", "--full")),
                "... and the same answer")
        again = gc(args.regsweep, root, "--dry-run", "--index", damaged)
        # Repositories that reported a problem are re-read on every pass, by
        # design (break_link leaves some); nothing else may be.
        with_problems = {p["repository"] for p in again["problems"] if p["repository"]}
        t.check(again["pass"] == "incremental"
                and again["repositories_reread"] == len(with_problems)
                and again["blob_prefixes_reused"] > 0,
                "the new index serves the next pass, which re-reads and re-lists "
                "nothing unchanged but repositories with problems",
                (again["pass"], again["repositories_reread"], sorted(with_problems),
                 again["blob_prefixes_reused"]))
        # index stats describes the last pass.
        p = subprocess.run([args.regsweep, "index", "stats", "--index", damaged, "--json"],
                           capture_output=True, text=True, check=True)
        stats = json.loads(p.stdout)
        blob_dirs = sum(len(os.listdir(os.path.join(store.path("blobs", "sha256"), d)))
                        for d in os.listdir(store.path("blobs", "sha256")))
        t.check(stats["repositories"] == again["repositories"]
                and stats["blobs"] == blob_dirs
                and stats["pass_state"] == "complete"
                and stats["last_pass"] == "incremental",
                "index stats gives the repositories, the blobs and the last pass",
                (stats, again["repositories"], blob_dirs))
    except Exception:  # noqa: BLE001
        t.crash("test_incremental")
        import traceback
        traceback.print_exc()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{t.passed} passed, {t.failed} failed")
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
