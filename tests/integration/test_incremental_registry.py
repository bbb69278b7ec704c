"""Incremental passes against the real registry: push with skopeo, an
incremental pass, delete a manifest through the API, push again,
another incremental pass; each pass must name exactly what a full pass
names and, in default mode, what distribution's garbage-collect --dry-run
names. The index is kept from pass to pass, as a cron job keeps it, and the
passes are far enough apart (regsweep re-reads whatever changed within a
second of a pass) that unchanged repositories are taken from the index.

Run by ctest as: python3 test_incremental_registry.py --regsweep PATH
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import registry_harness as rh  # noqa: E402
from oci_layouts import Layer, OciLayout  # noqa: E402

AGE = 1.1  # seconds: past regsweep's racy margin


class Pusher:
    def __init__(self, registry, workdir):
        self.registry = registry
        self.layout = OciLayout(os.path.join(workdir, "layout"))

    def image(self, repo, tag, name, layers):
        desc, img = self.layout.add_image(name, layers)
        ref = f"{repo.replace('/', '-')}-{tag}-{name}"
        self.layout.tag(ref, desc)
        self.registry.push_oci(self.layout.path, ref, repo, tag)
        return img


def compare(t, args, reg, wd, label, indexes):
    """Incremental passes (both modes) against full passes and, in default
    mode, distribution."""
    for mode, index in indexes.items():
        extra = ("--index", index)
        inc = rh.run_regsweep_gc(args.regsweep, reg.root,
                                 os.path.join(wd, "inc.json"), dry_run=True,
                                 delete_untagged=bool(mode), extra=extra)
        full = rh.run_regsweep_gc(args.regsweep, reg.root,
                                  os.path.join(wd, "full.json"), dry_run=True,
                                  delete_untagged=bool(mode), extra=("--full",))
        what = f"{label} ({'-m' if mode else 'default'})"
        t.check(inc.report.get("pass") == "incremental",
                f"{what}: the pass is incremental", inc.describe())
        t.check_sets(inc.blobs_eligible, full.blobs_eligible,
                     f"{what}: incremental names the blobs a full pass names")
        t.check_sets(inc.manifests_eligible, full.manifests_eligible,
                     f"{what}: ... and the manifests")
        reread = inc.report.get("repositories_reread")
        total = inc.report.get("repositories")
        t.check(reread is not None and reread < total,
                f"{what}: unchanged repositories come from the index",
                (reread, total))
        if not mode:
            dist = rh.distribution_gc(reg.config, dry_run=True)
            t.check_sets(inc.blobs_eligible, dist.blobs_eligible,
                         f"{what}: the blobs distribution's dry run names")


def main(argv):
    args = rh.parse_args(argv[1:], __doc__)
    rh.install_signal_handlers()
    t = rh.TestRun("incremental-registry")
    try:
        rh.require_tools()
        with rh.TempDir("regsweep-incr-registry-", keep=args.keep) as wd:
            reg = rh.Registry(wd)
            indexes = {(): os.path.join(wd, "index"),
                       ("-m",): os.path.join(wd, "index-m")}
            base, shared = Layer("base"), Layer("shared")
            with reg:
                push = Pusher(reg, wd)
                push.image("team/app", "v1", "app-v1", [base, Layer("app1")])
                old = push.image("team/app", "v2", "app-v2", [base, Layer("app2")])
                push.image("team/app", "latest", "app-v2b", [base, shared])
                push.image("team/lib", "v1", "lib-v1", [base, shared])
                push.image("mirror", "v1", "mirror-v1", [Layer("mirror")])
            time.sleep(AGE)
            for mode, index in indexes.items():  # the first, full passes
                first = rh.run_regsweep_gc(args.regsweep, reg.root,
                                           os.path.join(wd, "first.json"),
                                           dry_run=True,
                                           delete_untagged=bool(mode),
                                           extra=("--index", index))
                t.check(first.report.get("pass") == "full",
                        "the first pass with a new index is full",
                        first.describe())
            time.sleep(AGE)
            compare(t, args, reg, wd, "unchanged store", indexes)
            time.sleep(AGE)
            with reg:
                # Through the API: the manifest (its tag v2 goes with it;
                # distribution 2.8 cannot delete a tag alone), then pushes
                # that move a tag and add a repository.
                reg.delete_manifest("team/app", old.digest)
                push.image("team/app", "latest", "app-v3", [base, Layer("app3")])
                push.image("team/new", "v1", "new-v1", [shared])
            compare(t, args, reg, wd, "after API deletes and pushes", indexes)
    except KeyboardInterrupt as e:
        t.check(False, f"interrupted ({e})")
    except Exception:  # noqa: BLE001
        t.crash("incremental-registry")
    finally:
        rh.stop_all_registries()
    return t.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
