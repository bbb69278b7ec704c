#!/usr/bin/env python3
"""The drop-in against distribution's real garbage-collect, line by line.

Builds the reference store through the real registry once
(oci_layouts.build_reference_store), stops it, and then, always on two
identical copies of it (shutil.copytree), runs Debian's
`docker-registry garbage-collect` on one and `regsweep garbage-collect` on
the other:

  a. deletion lines, default mode, text format with log.fields: the same
     lines on stderr (`Deleting blob: /docker/...`) once times are set
     aside and the fields only distribution has (go.version, instance.id)
     dropped: same msg texts, same paths, same keys in the same order,
     same counts; the two copies end up the same.
  b. -m: every line of ours is one of distribution's; the ones we lack are
     exactly those of the index children and referrers regsweep keeps;
     tag history lines (`deleting manifest tag reference: ...`) included.
  c. log.formatter json and logstash: the same objects (keys in the same
     order), and --log-format over the config's formatter.
  d. log.level warn: neither prints a deletion line.
  e. Go's flag forms: every form distribution accepts, ours accepts with the
     same effect (real or dry run, untagged manifests or not), every form
     it refuses (-dry-run, -delete-untagged, -m=yes, ...) ours refuses.
  f. warnings carry a time and a level (text, json), follow log.level.
  g. the JSON report's version, store, grace_seconds, started_at,
     finished_at.
  h. a deletion that fails (an immutable file, where chattr may) has an
     error line and no deletion line.

Usage (as ctest runs it): test_dropin_lines.py --regsweep PATH --gen-store X
"""

import datetime
import json
import os
import re
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import registry_harness as rh  # noqa: E402
from oci_layouts import build_reference_store  # noqa: E402

ONLY_DISTRIBUTION = ("go.version", "instance.id")
RFC3339_NANO = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,8}[1-9])?(Z|[+-]\d\d:\d\d)$")
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
_PAIR = re.compile(r'([^\s=]+)=("(?:[^"\\]|\\.)*"|\S*)')

CONFIG = """\
version: 0.1
log:
  level: {level}
{extra}storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
"""


class Copies:
    """Fresh copies of the pristine store, each with its own config."""

    def __init__(self, pristine, wd):
        self.pristine, self.wd, self.n = pristine, wd, 0

    def make(self, level="info", formatter=None, fields=None):
        self.n += 1
        root = os.path.join(self.wd, f"copy-{self.n}")
        shutil.copytree(self.pristine, root, symlinks=True)
        extra = ""
        if formatter:
            extra += f"  formatter: {formatter}\n"
        if fields:
            extra += "  fields:\n" + "".join(
                f"    {k}: {v}\n" for k, v in fields.items())
        config = os.path.join(self.wd, f"copy-{self.n}.yml")
        with open(config, "w") as f:
            f.write(CONFIG.format(level=level, extra=extra, root=root))
        return root, config


def run(cmd, env=None):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=600, stdin=subprocess.DEVNULL,
                          env=env)


def distribution(config, *flags, env=None):
    return run([rh.DOCKER_REGISTRY, "garbage-collect", *flags, config], env)


def ours(args, config, *flags, grace="0", env=None):
    return run([args.regsweep, "garbage-collect", config, "--grace", grace,
                *flags], env)


def text_pairs(line):
    """A logrus text line as [(key, value)], quotes undone."""
    pairs = []
    for key, value in _PAIR.findall(line):
        if value.startswith('"'):
            value = json.loads(value)  # Go's %q of ASCII text is JSON
        pairs.append((key, value))
    return pairs


def normal_text(stderr, times):
    """The lines as tuples of (key, value) without the time and the fields
    only distribution writes; the times go to `times`."""
    out = []
    for line in stderr.splitlines():
        if not line.strip():
            continue
        pairs = text_pairs(line)
        kept = []
        for key, value in pairs:
            if key == "time":
                times.append(value)
                value = "T"
            if key not in ONLY_DISTRIBUTION:
                kept.append((key, value))
        out.append(tuple(kept))
    return out


def normal_json(stderr, times, time_key):
    out = []
    for line in stderr.splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        times.append(obj.get(time_key, ""))
        obj[time_key] = "T"
        out.append(tuple((k, v) for k, v in obj.items()
                         if k not in ONLY_DISTRIBUTION))
    return out


def msg_of(pairs):
    d = dict(pairs)
    return d.get("msg", d.get("message", ""))


def digest_of_path(path):
    """The digest a driver path names: blobs/<alg>/<xx>/<hex>,
    revisions/<alg>/<hex>, index/<alg>/<hex>."""
    parts = path.rstrip("/").split("/")
    alg = parts[-3] if "/blobs/" in path else parts[-2]
    return f"{alg}:{parts[-1]}"


def same_lines(t, what, dist, mine, dist_times, my_times):
    t.check(sorted(mine) == sorted(dist), f"{what}: the same lines",
            "only distribution's:\n" + "\n".join(
                map(str, sorted(set(dist) - set(mine))[:10]))
            + "\nonly ours:\n" + "\n".join(
                map(str, sorted(set(mine) - set(dist))[:10])))
    bad = [x for x in dist_times + my_times if not RFC3339_NANO.match(x)]
    t.check(not bad and len(my_times) == len(mine),
            f"{what}: every time is RFC 3339 with nanoseconds, as Go writes "
            "it", "\n".join(bad[:5]))


def tree(root):
    """Relative paths of every file and directory under root."""
    out = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            out.add(os.path.relpath(os.path.join(dirpath, name), root))
    return out


# ---------------------------------------------------------------------------


def part_default_text(t, args, copies, sc):
    fields = {"service": "registry"}
    d_root, d_config = copies.make(fields=fields)
    o_root, o_config = copies.make(fields=fields)
    d = distribution(d_config)
    o = ours(args, o_config)
    t.check(d.returncode == 0 and o.returncode == 0,
            "a: both real runs exit 0", f"{d.stderr[-2000:]}\n{o.stderr[-2000:]}")
    t.check("Deleting blob" not in d.stdout and "Deleting blob" not in o.stdout,
            "a: deletion lines go to stderr, not stdout (both)")
    dt, ot = [], []
    dl, ol = normal_text(d.stderr, dt), normal_text(o.stderr, ot)
    expected = sc.all_blobs() - sc.kept_default()
    t.check(len(dl) == len(expected) and bool(expected),
            f"a: distribution logs one line per eligible blob ({len(expected)})",
            d.stderr[-2000:])
    same_lines(t, "a: default mode, text", dl, ol, dt, ot)
    t.check(all([k for k, _ in p] == ["time", "level", "msg", "service"]
                for p in ol),
            "a: keys in logrus' order: time, level, msg, then the fields")
    want = {f"Deleting blob: /docker/registry/v2/blobs/{d.split(':')[0]}/"
            f"{d.split(':')[1][:2]}/{d.split(':')[1]}" for d in expected}
    t.check({msg_of(p) for p in ol} == want,
            "a: the msg texts name every eligible blob's driver path")
    # (regsweep also removes the _layers links of what it deleted.)
    t.check(rh.blobs_on_disk(d_root) == rh.blobs_on_disk(o_root)
            and rh.revisions_on_disk(d_root) == rh.revisions_on_disk(o_root),
            "a: both copies hold the same blobs and revisions afterwards")


def part_untagged_text(t, args, copies, sc):
    d_root, d_config = copies.make()
    o_root, o_config = copies.make()
    d = distribution(d_config, "-m")
    o = ours(args, o_config, "-m")
    t.check(d.returncode == 0 and o.returncode == 0,
            "b: both real -m runs exit 0", f"{d.stderr[-2000:]}\n{o.stderr[-2000:]}")
    dt, ot = [], []
    dl, ol = normal_text(d.stderr, dt), normal_text(o.stderr, ot)
    kept_blobs, kept_revs = sc.kept_regsweep_untagged()
    eligible_blobs = sc.all_blobs() - kept_blobs
    eligible_revs = sc.untagged_revisions() - kept_revs
    eligible_digests = {dg for _, dg in eligible_revs}

    def ours_too(pairs):
        msg = msg_of(pairs)
        dg = digest_of_path(msg.split(": ", 1)[1])
        if msg.startswith("Deleting blob: "):
            return dg in eligible_blobs
        repo = msg.split("/repositories/", 1)[1].split("/_manifests/")[0]
        return (repo, dg) in eligible_revs

    wanted = [p for p in dl if ours_too(p)]
    t.check(len(wanted) < len(dl),
            "b: distribution logs deletions of index children and referrers "
            "(its known bug) that regsweep does not make")
    same_lines(t, "b: -m, text: ours == distribution's minus what regsweep "
               "keeps", wanted, ol, dt, ot)
    kinds = {}
    for p in ol:
        kind = msg_of(p).split(": ", 1)[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    t.check(kinds.get("deleting manifest") == len(eligible_revs)
            and kinds.get("Deleting blob") == len(eligible_blobs)
            and kinds.get("deleting manifest tag reference", 0) >= 1,
            "b: one line per deleted manifest, per deleted blob, and the tag "
            "history entry of the moved tag", str(kinds))
    order = [msg_of(p).split(": ", 1)[0] for p in ol]
    t.check(order.index("Deleting blob") > max(
        i for i, k in enumerate(order) if k.startswith("deleting manifest")),
        "b: manifests first, then blobs, as distribution")
    left = rh.revisions_on_disk(o_root)
    t.check(not (left & eligible_revs) and eligible_digests,
            "b: the manifests ours logs are gone from its copy")


def part_formats(t, args, copies, sc):
    for formatter, time_key in (("json", "time"), ("logstash", "@timestamp")):
        _, d_config = copies.make(formatter=formatter,
                                  fields={"service": "registry"})
        _, o_config = copies.make(formatter=formatter,
                                  fields={"service": "registry"})
        d = distribution(d_config, "-m")
        o = ours(args, o_config, "-m")
        dt, ot = [], []
        try:
            dl = normal_json(d.stderr, dt, time_key)
            ol = normal_json(o.stderr, ot, time_key)
        except ValueError as e:
            t.check(False, f"c: {formatter}: every line is JSON",
                    f"{e}\n{d.stderr[-1500:]}\n{o.stderr[-1500:]}")
            continue
        ol_set = set(ol)
        t.check(bool(ol) and ol_set <= set(dl),
                f"c: {formatter}: each of our objects is one of "
                "distribution's, keys in the same order",
                "\n".join(map(str, sorted(ol_set - set(dl))[:5])))
        bad = [x for x in dt + ot if not RFC3339_NANO.match(x)]
        t.check(not bad, f"c: {formatter}: times as Go's RFC3339Nano",
                "\n".join(bad[:5]))
    # --log-format goes over the config's formatter.
    _, o_config = copies.make(formatter="text")
    o = ours(args, o_config, "--log-format", "json")
    try:
        objs = [json.loads(x) for x in o.stderr.splitlines() if x.strip()]
        ok = bool(objs) and all(list(x) == ["level", "msg", "time"]
                                for x in objs)
    except ValueError:
        ok = False
    t.check(ok, "c: --log-format json over log.formatter text",
            o.stderr[-1500:])


def part_level(t, args, copies, sc):
    _, d_config = copies.make(level="warn")
    o_root, o_config = copies.make(level="warn")
    d = distribution(d_config)
    o = ours(args, o_config)
    t.check(d.returncode == 0 and "Deleting" not in d.stderr,
            "d: log.level warn: distribution logs no deletion", d.stderr[-1000:])
    t.check(o.returncode == 0 and o.stderr == "",
            "d: log.level warn: nor do we (stderr empty)", o.stderr[-1000:])
    t.check(not (rh.blobs_on_disk(o_root)
                 & (sc.all_blobs() - sc.kept_default())),
            "d: the deletions happened all the same")


def part_time_zone(t, args, copies, sc):
    """Go writes local time with its offset; so must we."""
    if not os.path.exists("/usr/share/zoneinfo/Asia/Kolkata"):
        t.check(True, "c: (no tzdata: time zone check skipped)")
        return
    env = dict(os.environ, TZ="Asia/Kolkata")
    _, d_config = copies.make()
    _, o_config = copies.make()
    dt, ot = [], []
    normal_text(distribution(d_config, env=env).stderr, dt)
    normal_text(ours(args, o_config, env=env).stderr, ot)
    t.check(dt and ot and all(x.endswith("+05:30") and RFC3339_NANO.match(x)
                              for x in dt + ot),
            "c: TZ=Asia/Kolkata: both write local times ending +05:30",
            f"{dt[:2]} {ot[:2]}")


FORMS = [
    ["-m"], ["--delete-untagged"], ["-m=true"], ["--delete-untagged=true"],
    ["--dry-run=false"], ["-d=false"], ["-d"], ["--dry-run"], ["-md"],
    ["-dm=false"], ["-md=false"], ["-m=1"], ["-m=T"], ["-m=TRUE"],
    ["-m=True"], ["-m=t"], ["--dry-run=0"], ["--dry-run=F"],
    ["--dry-run=FALSE"], ["-d=False"], ["-d=f"], ["-m", "-m=false"],
    ["-m=false", "-m"], ["-m", "-m"],
    # refused by distribution
    ["-delete-untagged"], ["-dry-run"], ["-m=yes"], ["-m=tRUE"], ["-m="],
    ["--delete-untagged="], ["--dry-run=no"], ["-mx"], ["---dry-run"],
]


def effect(root, stdout, pristine_tree):
    """(real run?, untagged manifests considered?)"""
    return (tree(root) != pristine_tree,
            "manifest eligible for deletion" in stdout)


def part_flag_forms(t, args, copies, sc):
    pristine_tree = tree(copies.pristine)
    for form in FORMS:
        d_root, d_config = copies.make(level="warn")
        o_root, o_config = copies.make(level="warn")
        d = distribution(d_config, *form)
        o = ours(args, o_config, *form)
        # cobra prints "Error: ..." and exits 0 on a bad flag.
        d_ok = "Error:" not in d.stderr and "blobs marked" in d.stdout
        o_ok = o.returncode == 0
        name = " ".join(form)
        if not d_ok:
            t.check(not o_ok and o.returncode == 2
                    and tree(o_root) == pristine_tree,
                    f"e: {name}: refused by both (ours: exit 2, nothing done)",
                    f"distribution: {d.stderr[:300]}\nours: exit "
                    f"{o.returncode} {o.stderr[:300]}")
            continue
        de, oe = effect(d_root, d.stdout, pristine_tree), effect(
            o_root, o.stdout, pristine_tree)
        t.check(o_ok and de == oe,
                f"e: {name}: accepted by both, same effect (real run, -m): "
                f"{de}", f"ours: exit {o.returncode} effect {oe}\n"
                f"{o.stderr[:500]}")
    # Our own -q stays (distribution has no -q).
    o_root, o_config = copies.make(level="info")
    o = ours(args, o_config, "-q", "-d=false")
    t.check(o.returncode == 0 and o.stdout == "" and o.stderr == ""
            and tree(o_root) != pristine_tree,
            "e: our own -q: a real run that prints nothing", o.stderr[:500])


def part_warnings(t, args, copies, sc):
    root, config = copies.make(level="warn")
    revs = os.path.join(root, "docker/registry/v2/repositories/base/"
                        "_manifests/revisions/sha256")
    link = os.path.join(revs, sorted(os.listdir(revs))[0], "link")
    with open(link, "w") as f:
        f.write("garbage")
    p = run([args.regsweep, "gc", root, "--dry-run", "--grace", "0"])
    lines = [text_pairs(x) for x in p.stderr.splitlines() if x.strip()]
    ok = (p.returncode == 1 and lines
          and all([k for k, _ in x][:3] == ["time", "level", "msg"]
                  and RFC3339_NANO.match(x[0][1]) for x in lines))
    t.check(ok, "f: gc: each warning line starts time=, level=, msg=",
            p.stderr[-1500:])
    first = dict(lines[0]) if lines else {}
    t.check(first.get("level") == "warning"
            and first.get("kind") == "malformed_link"
            and first.get("path", "").endswith(link[len(root):])
            and first.get("repository") == "base",
            "f: gc: level=warning with kind, path and repository fields",
            str(first))
    p = run([args.regsweep, "gc", root, "--dry-run", "--grace", "0",
             "--log-format", "json"])
    try:
        objs = [json.loads(x) for x in p.stderr.splitlines() if x.strip()]
    except ValueError:
        objs = []
    t.check(bool(objs) and objs[0].get("level") == "warning"
            and objs[0].get("kind") == "malformed_link"
            and RFC3339_NANO.match(objs[0].get("time", ""))
            and link[len(root):] in objs[0].get("path", "")
            and "msg" in objs[0],
            "f: gc --log-format json: one object per line, with time, level, "
            "msg, kind, path", p.stderr[-1500:])
    p = ours(args, config, "--dry-run")
    t.check(p.returncode == 1 and "level=warning" in p.stderr
            and "malformed_link" in p.stderr,
            "f: garbage-collect, log.level warn: the warning is logged",
            p.stderr[-1000:])
    with open(config) as f:
        text = f.read()
    with open(config, "w") as f:
        f.write(text.replace("level: warn", "level: error"))
    p = ours(args, config, "--dry-run")
    t.check(p.returncode == 1 and p.stderr == "",
            "f: garbage-collect, log.level error: warnings are not logged "
            "(the exit code still says so)", p.stderr[-1000:])
    with open(config, "w") as f:
        f.write(text.replace("level: warn", "level: bogus"))
    d = distribution(config, "--dry-run")
    p = ours(args, config, "--dry-run")
    t.check("invalid loglevel" in d.stderr and p.returncode == 2
            and "log.level" in p.stderr and "level=error" in p.stderr,
            "f: a log.level distribution refuses, we refuse too (exit 2)",
            f"{d.stderr[:300]}\n{p.stderr[:300]}")


def part_failed_deletion(t, args, copies, sc):
    """A blob whose deletion fails gets an error line, not a Deleting one."""
    root, config = copies.make()
    eligible = sorted(sc.all_blobs() - sc.kept_default())
    stuck = rh.blob_data_path(root, eligible[0])
    if run(["chattr", "+i", stuck]).returncode != 0:
        t.check(True, "h: (chattr +i not permitted here: skipped)")
        return
    try:
        # Deleted at once: a quarantine would move the blob's directory,
        # which an immutable file inside does not prevent.
        o = ours(args, config, "--quarantine-for", "0")
    finally:
        run(["chattr", "-i", stuck])
    pairs = [dict(text_pairs(x)) for x in o.stderr.splitlines() if x.strip()]
    deleting = {x.get("msg") for x in pairs if x.get("level") == "info"}
    errors = [x.get("msg", "") for x in pairs if x.get("level") == "error"]
    hexes = [d.split(":")[1] for d in eligible]
    t.check(o.returncode == 1
            and not any(hexes[0] in m for m in deleting)
            and all(any(h in m for m in deleting) for h in hexes[1:])
            and any(hexes[0] in m and "rerun" in m for m in errors),
            "h: an undeletable blob: an error line names it, no Deleting "
            "line; the others are logged", o.stderr[-1500:])


def part_report(t, args, copies, sc):
    root, _ = copies.make()
    out = os.path.join(copies.wd, "report.json")
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    p = run([args.regsweep, "gc", root, "--dry-run", "--grace", "1h30m",
             "--json", out])
    after = datetime.datetime.now(datetime.timezone.utc)
    version = run([args.regsweep, "--version"]).stdout.split()[-1]
    try:
        with open(out) as f:
            rep = json.load(f)
    except (OSError, ValueError) as e:
        t.check(False, "g: gc writes a JSON report", f"{e}\n{p.stderr}")
        return
    t.check(list(rep)[:7] == ["version", "store", "mode", "dry_run",
                              "grace_seconds", "started_at", "finished_at"],
            "g: the report begins version, store, mode, dry_run, "
            "grace_seconds, started_at, finished_at", str(list(rep)[:8]))
    t.check(rep.get("version") == version and rep.get("store") == root
            and rep.get("grace_seconds") == 5400,
            "g: version as --version, store as given, grace 1h30m = 5400 s",
            f"{rep.get('version')} {rep.get('store')} {rep.get('grace_seconds')}")
    times = [rep.get("started_at"), rep.get("finished_at")]
    ok = all(isinstance(x, str) and RFC3339_UTC.match(x) for x in times)
    if ok:
        start, end = (datetime.datetime.strptime(
            x, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
            for x in times)
        ok = before <= start <= end <= after
    t.check(ok, "g: started_at <= finished_at, RFC 3339 UTC, during the run",
            f"{times} between {before} and {after}")


def main(argv):
    args = rh.parse_args(argv[1:], __doc__)
    rh.install_signal_handlers()
    t = rh.TestRun("dropin_lines")
    try:
        rh.require_tools()
        if not os.access(args.regsweep, os.X_OK):
            t.check(False, f"regsweep binary {args.regsweep} is executable")
            return t.finish()
        with rh.TempDir("regsweep-dropin-lines-", keep=args.keep) as wd:
            reg = rh.Registry(wd)
            with reg:
                sc = build_reference_store(reg, wd)
            copies = Copies(reg.root, wd)
            for part in (part_default_text, part_untagged_text, part_formats,
                         part_time_zone, part_level, part_flag_forms,
                         part_warnings, part_failed_deletion, part_report):
                try:
                    part(t, args, copies, sc)
                except (KeyboardInterrupt, SystemExit):
                    raise
                except Exception:
                    t.crash(part.__name__)
    except KeyboardInterrupt as e:
        t.check(False, f"interrupted ({e})")
    except Exception:
        t.crash("setup")
    finally:
        rh.stop_all_registries()
    return t.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
