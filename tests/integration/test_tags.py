#!/usr/bin/env python3
"""Deleting tags safely, against the real registry (issue 6).

The operators' question: images I1..I5 with tags T11, T12, T13, T21..T24,
T31, T32, T41..T44, T51, T52; delete only T12, T22 and T52. Deleting by
digest through the API (what `skopeo delete` does) would take every other
tag of the same manifest with it.

The scenario, pushed with skopeo through docker-registry (repositories
i1..i5, tags t11..t52):
  i1  t11 -> i1-a; t12 and t13 -> i1-b (shared manifest)
  i2  t21 and t24 -> i2-a (shared); t22 -> i2-b (only t22); t23 -> i2-c
  i3  t31 -> i3-a (a layer shared with i5-b); t32 -> i3-b
  i4  t41 and t43 -> a two-platform index (children untagged) with a
      signature referrer; t42 -> i4-a; t44 -> i4-b
  i5  t51 -> i5-a; t52 -> i5-b (only t52) with a signature referrer
Then, with the registry stopped:
  1. `tag ls` lists every tag with its digest, push time and size;
  2. `tag rm` refuses the whole request when one name is missing, invalid,
     and removes nothing; --dry-run removes nothing; --ignore-missing works;
  3. `tag rm i1:t12 i2:t22 i5:t52` removes exactly those three tag
     directories (one log line each) and nothing else;
  4. a real `gc --delete-untagged` reclaims exactly what no remaining tag
     reaches (i2-b, i5-b and its referrer, and their own layers), keeping
     shared manifests, shared layers, index children and referrers;
  5. served again, every other tag pulls with `skopeo copy` (which verifies
     every digest), the index with --all, the kept referrer and children
     GET by digest, and the three removed tags are gone (404);
  6. distribution's own default-mode dry run finds nothing left to delete.

Usage (as ctest runs it): test_tags.py --regsweep PATH --gen-store X
Exit status 0 only if every check passed; the last line is `N passed, N failed`.
"""

import json
import os
import re
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import registry_harness as rh  # noqa: E402
from oci_layouts import (ART_SIGNATURE, MT_INDEX, MT_MANIFEST, Layer,  # noqa: E402
                         OciLayout, Scenario, canonical_json, push_referrer)

V2 = os.path.join("docker", "registry", "v2")
LOG_RE = re.compile(r"^(removed|would remove) tag (\S+):(\S+) "
                    r"\((sha256:[0-9a-f]{64}), pushed "
                    r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)\)$")

# ---------------------------------------------------------------------------
# Helpers shared with test_retain.py


def tags_dir(root, repo):
    return os.path.join(root, V2, "repositories", repo, "_manifests", "tags")


def tag_link(root, repo, tag):
    return os.path.join(tags_dir(root, repo), tag, "current", "link")


def tags_on_disk(root):
    """{(repo, tag): digest} of every tag with a current link."""
    base = os.path.join(root, V2, "repositories")
    found = {}
    for dirpath, dirnames, _ in os.walk(base):
        if os.path.basename(dirpath) != "_manifests":
            continue
        repo = os.path.relpath(os.path.dirname(dirpath), base)
        tdir = os.path.join(dirpath, "tags")
        for tag in os.listdir(tdir) if os.path.isdir(tdir) else []:
            link = os.path.join(tdir, tag, "current", "link")
            if os.path.isfile(link):
                with open(link) as f:
                    found[(repo, tag)] = f.read().strip()
        dirnames[:] = []
    return found


def run_regsweep(regsweep, *args):
    return rh.run([regsweep, *args], check=False, timeout=600)


def log_lines(text):
    """[(verb, repo, tag, digest, pushed)] of the removal log lines."""
    out = []
    for line in text.splitlines():
        m = LOG_RE.match(line.strip())
        if m:
            out.append(m.groups())
    return out


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        return {"_error": str(e)}


def closure_size(root, img):
    return sum(os.path.getsize(rh.blob_data_path(root, d))
               for d in img.closure())


def expected_after_removal(sc):
    """(eligible blobs, eligible (repo, digest) revisions) of a
    delete-untagged collection once the removed tags are out of sc.tagged."""
    kept, kept_revs = sc.kept_regsweep_untagged()
    return sc.all_blobs() - kept, sc.untagged_revisions() - kept_revs


def state(root):
    """Everything a tag removal must not touch, and the tags."""
    return (rh.blobs_on_disk(root), rh.revisions_on_disk(root),
            tags_on_disk(root))


def pull_tags(t, reg, sc, wd, label):
    """Pulls every tag in sc.tagged with skopeo (verifies every digest)."""
    for (repo, tag), img in sorted(sc.tagged.items()):
        dest = os.path.join(wd, "pull", label, repo, tag)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        is_index = img.media_type == MT_INDEX
        proc = reg.pull_dir(repo, tag, dest, all_images=is_index)
        t.check(proc.returncode == 0,
                f"{label}: skopeo pulls {repo}:{tag}"
                + (" --all" if is_index else ""), proc.stderr[-3000:])


def check_removed_tags_gone(t, reg, removed, label):
    for repo, tag in removed:
        status, _ = reg.get_manifest(repo, tag, [MT_MANIFEST, MT_INDEX])
        t.check(status == 404, f"{label}: removed tag {repo}:{tag} is gone "
                f"(GET by tag gives 404)", f"HTTP {status}")


class Pusher:
    """Pushes images under tags through a running registry with skopeo and
    records them in a Scenario."""

    def __init__(self, registry, workdir):
        self.reg = registry
        self.layout = OciLayout(os.path.join(workdir, "layout"))
        self.sc = Scenario()

    def image(self, name, layers, **kw):
        return self.layout.add_image(name, layers, **kw)

    def push(self, desc_img, repo, tag):
        desc, img = desc_img
        ref = f"{repo.replace('/', '-')}-{tag}"
        self.layout.tag(ref, desc)
        is_index = img.media_type == MT_INDEX
        self.reg.push_oci(self.layout.path, ref, repo, tag,
                          all_images=is_index)
        self.sc.add_revision(repo, img)
        for child in img.children:
            self.sc.add_revision(repo, child)
            if (repo, child) not in self.sc.index_children:
                self.sc.index_children.append((repo, child))
        self.sc.tagged[(repo, tag)] = img
        return img

    def referrer(self, repo, name, subject):
        payload = canonical_json({"referrer": name, "of": subject.digest})
        _, img = self.layout.add_referrer(name, subject, ART_SIGNATURE,
                                          payload)
        push_referrer(self.reg, self.layout, repo, img)
        self.sc.add_revision(repo, img)
        self.sc.referrers.append((repo, img))
        return img


# ---------------------------------------------------------------------------
# The scenario


REMOVE = [("i1", "t12"), ("i2", "t22"), ("i5", "t52")]


def build_scenario(reg, wd):
    p = Pusher(reg, wd)
    base = Layer("base")
    shared35 = Layer("shared-i3-i5")

    i1a = p.image("i1-a", [base, Layer("i1-a")])
    i1b = p.image("i1-b", [base, Layer("i1-b")])
    p.push(i1a, "i1", "t11")
    p.push(i1b, "i1", "t12")
    p.push(i1b, "i1", "t13")

    i2a = p.image("i2-a", [base, Layer("i2-a")])
    p.push(i2a, "i2", "t21")
    p.push(p.image("i2-b", [base, Layer("i2-b")]), "i2", "t22")
    p.push(p.image("i2-c", [base, Layer("i2-c")]), "i2", "t23")
    p.push(i2a, "i2", "t24")

    p.push(p.image("i3-a", [base, shared35]), "i3", "t31")
    p.push(p.image("i3-b", [Layer("i3-b")]), "i3", "t32")

    children = [p.image("i4-amd64", [base, Layer("i4-amd64")], arch="amd64"),
                p.image("i4-arm64", [base, Layer("i4-arm64")], arch="arm64")]
    index = p.layout.add_index("i4-index", children)
    idx = p.push(index, "i4", "t41")
    p.referrer("i4", "i4-index-sig", idx)
    p.push(p.image("i4-a", [base, Layer("i4-a")]), "i4", "t42")
    p.push(index, "i4", "t43")
    p.push(p.image("i4-b", [Layer("i4-b")]), "i4", "t44")

    p.push(p.image("i5-a", [base, Layer("i5-a")]), "i5", "t51")
    i5b = p.push(p.image("i5-b", [shared35, Layer("i5-b")]), "i5", "t52")
    p.referrer("i5", "i5-b-sig", i5b)
    return p.sc


# ---------------------------------------------------------------------------
# The checks


def check_ls(t, rs, reg, sc, wd):
    out = os.path.join(wd, "ls.json")
    proc = run_regsweep(rs, "tag", "ls", reg.root, "--json", out)
    t.check(proc.returncode == 0, "tag ls exits 0", proc.stderr)
    listed = load_json(out)
    if not t.check(isinstance(listed, list), "tag ls --json is a list",
                   str(listed)[:2000]):
        return
    got = {(e["repository"], e["tag"]): e for e in listed}
    want = {key: img.digest for key, img in sc.tagged.items()}
    t.check(len(listed) == 15 and {k: e["digest"] for k, e in got.items()}
            == want, "tag ls lists the 15 tags with their digests",
            json.dumps(listed, indent=1)[:4000])
    t.check(all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", e["pushed"])
                for e in listed), "tag ls gives every push time (RFC 3339)")
    bad_sizes = [(k, e["size"], closure_size(reg.root, sc.tagged[k]))
                 for k, e in got.items() if k in sc.tagged and
                 (e["size"] != closure_size(reg.root, sc.tagged[k])
                  or not e["size_complete"])]
    t.check(not bad_sizes, "tag ls sizes are manifest + config + layers "
            "(+ index children)", str(bad_sizes))
    t.check([(k[0], k[1]) for k in got] == sorted(got),
            "tag ls is sorted by repository, then tag")
    # The human table, for one repository.
    proc = run_regsweep(rs, "tag", "ls", reg.root, "i1")
    lines = proc.stdout.splitlines()
    t.check(proc.returncode == 0 and len(lines) == 4
            and lines[0].split() == ["REPOSITORY", "TAG", "DIGEST", "PUSHED",
                                     "SIZE"]
            and [line.split()[1] for line in lines[1:]] == ["t11", "t12",
                                                             "t13"],
            "tag ls STORE i1 prints a table of i1's three tags", proc.stdout)
    proc = run_regsweep(rs, "tag", "ls", reg.root, "i9")
    t.check(proc.returncode == 2 and "i9" in proc.stderr,
            "tag ls of a missing repository: exit 2, names it", proc.stderr)


def check_refusals(t, rs, root):
    before = state(root)
    proc = run_regsweep(rs, "tag", "rm", root, "i1:t12", "i2:t22", "i5:t52",
                        "i9:t91", "i3:t99")
    t.check(proc.returncode == 2 and "i9:t91: no such repository"
            in proc.stderr and "i3:t99: no such tag" in proc.stderr
            and "nothing removed" in proc.stderr,
            "tag rm with missing names: exit 2, names each, removes nothing",
            f"exit {proc.returncode}\n{proc.stderr}")
    t.check(state(root) == before, "... and the store is untouched")

    for bad in ("i1:../t11", "i1", "i1:t11/current", "../i1:t11",
                "i1@sha256:" + "0" * 64, "I1:t11"):
        proc = run_regsweep(rs, "tag", "rm", root, "i1:t12", bad)
        t.check(proc.returncode == 2 and "nothing removed" in proc.stderr,
                f"tag rm refuses the name {bad!r} and removes nothing",
                f"exit {proc.returncode}\n{proc.stderr}")
    proc = run_regsweep(rs, "tag", "rm", root, "i1:t12", "--grace", "soon",
                        "--then-gc")
    t.check(proc.returncode == 2, "tag rm with a bad --grace: exit 2",
            proc.stderr)
    t.check(state(root) == before, "... and the store is still untouched")

    proc = run_regsweep(rs, "tag", "rm", root, *[f"{r}:{g}" for r, g in REMOVE],
                        "--dry-run")
    lines = log_lines(proc.stdout)
    t.check(proc.returncode == 0 and [(v, r, g) for v, r, g, _, _ in lines]
            == [("would remove", r, g) for r, g in REMOVE],
            "tag rm --dry-run says 'would remove' for each of the three",
            proc.stdout + proc.stderr)
    t.check(state(root) == before, "tag rm --dry-run removes nothing")

    proc = run_regsweep(rs, "tag", "rm", root, "i3:t32", "i3:nope",
                        "--ignore-missing", "--dry-run")
    t.check(proc.returncode == 0 and [(r, g) for _, r, g, _, _ in
                                      log_lines(proc.stdout)]
            == [("i3", "t32")] and "i3:nope" in proc.stderr,
            "tag rm --ignore-missing goes on with the names that exist",
            proc.stdout + proc.stderr)


def check_removal(t, rs, root, sc, wd):
    blobs, revisions, tags = state(root)
    out = os.path.join(wd, "rm.json")
    proc = run_regsweep(rs, "tag", "rm", root,
                        *[f"{r}:{g}" for r, g in REMOVE], "--json", out)
    t.check(proc.returncode == 0, "tag rm i1:t12 i2:t22 i5:t52 exits 0",
            proc.stdout + proc.stderr)
    lines = log_lines(proc.stdout)
    t.check([(v, r, g, d) for v, r, g, d, _ in lines]
            == [("removed", r, g, sc.tagged[(r, g)].digest)
                for r, g in REMOVE],
            "one 'removed tag REPO:TAG (DIGEST, pushed TIME)' line per tag",
            proc.stdout)
    report = load_json(out)
    t.check(report.get("dry_run") is False and report.get("gc") is None
            and [(e["repository"], e["tag"], e["digest"])
                 for e in report.get("removed", [])]
            == [(r, g, sc.tagged[(r, g)].digest) for r, g in REMOVE]
            and all(e.get("pushed") for e in report.get("removed", [])),
            "tag rm --json lists {repository, tag, digest, pushed} of each",
            json.dumps(report)[:3000])
    after_blobs, after_revisions, after_tags = state(root)
    want_tags = {k: v for k, v in tags.items() if k not in REMOVE}
    t.check(after_tags == want_tags,
            "exactly the three tags are gone, every other tag is intact "
            "(t13, t21/t24 and t41/t43 shared manifests with others)",
            f"gone: {sorted(set(tags) - set(after_tags))}")
    t.check(all(not os.path.exists(os.path.join(tags_dir(root, r), g))
                for r, g in REMOVE), "their tag directories are gone")
    t.check(after_blobs == blobs and after_revisions == revisions,
            "no blob and no revision was touched")
    for key in REMOVE:
        del sc.tagged[key]


def check_gc(t, rs, reg, sc, wd):
    want_blobs, want_revs = expected_after_removal(sc)
    before = rh.blobs_on_disk(reg.root)
    res = rh.run_regsweep_gc(rs, reg.root, os.path.join(wd, "gc.json"),
                             delete_untagged=True)
    rep = res.report
    t.check(res.returncode == 0 and rep.get("problems") == []
            and rep.get("fatal") is None,
            "gc --delete-untagged after tag rm: exit 0, no problems",
            res.describe())
    t.check_sets(res.manifests_eligible, want_revs,
                 "gc -m deletes exactly the manifests no remaining tag "
                 "reaches (i2-b, i5-b, i5-b's signature)", sc.names)
    t.check_sets(res.blobs_eligible, want_blobs,
                 "gc -m frees exactly their own blobs (shared layers, index "
                 "children and the kept signature stay)", sc.names)
    t.check_sets(rh.blobs_on_disk(reg.root), before - want_blobs,
                 "the store holds every other blob", sc.names)
    names = {sc.names.get(d, d) for _, d in want_revs}
    t.check(names == {"manifest i2-b", "manifest i5-b", "manifest i5-b-sig"},
            "the reclaimed manifests are i2-b, i5-b and its signature",
            str(names))


def check_served(t, reg, sc, wd):
    with reg:
        pull_tags(t, reg, sc, wd, "after tag rm + gc")
        check_removed_tags_gone(t, reg, REMOVE, "after tag rm + gc")
        for repo, img in sc.index_children:
            status, body = reg.get_manifest(repo, img.digest, [MT_MANIFEST])
            t.check(status == 200 and body == img.data,
                    f"index child {img.name} GETs by digest", f"HTTP {status}")
        for repo, img in sc.referrers:
            status, body = reg.get_manifest(repo, img.digest, [MT_MANIFEST])
            if img.name == "i5-b-sig":
                t.check(status == 404, "the removed image's signature is gone",
                        f"HTTP {status}")
            else:
                t.check(status == 200 and body == img.data,
                        f"referrer {img.name} of a kept image GETs by digest",
                        f"HTTP {status}")
        status, _ = reg.get_manifest("i1", sc.tagged[("i1", "t13")].digest,
                                     [MT_MANIFEST])
        t.check(status == 200, "i1-b (t12 removed, t13 kept) GETs by digest",
                f"HTTP {status}")
    dist = rh.distribution_gc(reg.config, dry_run=True)
    t.check(dist.blobs_eligible == set() and dist.summary[1:] == (0, 0),
            "distribution's default-mode dry run finds nothing left to delete",
            dist.text[-3000:])


def main(argv):
    args = rh.parse_args(argv[1:], __doc__)
    rh.install_signal_handlers()
    t = rh.TestRun("tags")
    try:
        rh.require_tools()
        with rh.TempDir("regsweep-tags-", keep=args.keep) as wd:
            reg = rh.Registry(wd, name="tags")
            with reg:
                sc = build_scenario(reg, wd)
            t.check(len(sc.tagged) == 15 and tags_on_disk(reg.root) ==
                    {k: img.digest for k, img in sc.tagged.items()},
                    "the registry holds the 15 tags pushed")
            check_ls(t, args.regsweep, reg, sc, wd)
            check_refusals(t, args.regsweep, reg.root)
            check_removal(t, args.regsweep, reg.root, sc, wd)
            check_gc(t, args.regsweep, reg, sc, wd)
            check_served(t, reg, sc, wd)
    except KeyboardInterrupt as e:
        t.check(False, f"interrupted ({e})")
    except Exception:
        t.crash("tags")
    finally:
        rh.stop_all_registries()
    return t.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
