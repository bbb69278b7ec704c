"""OCI image layouts built on disk, and the reference store the integration
tests push through the real registry (Python 3 stdlib only).

Part 1, OciLayout: writes an OCI image layout (oci-layout, index.json,
blobs/sha256/...) holding single-platform images (valid config, gzipped tar
layers), multi-platform indexes and referrers (artifacts with `subject`).
All content is deterministic: the same names give the same digests.

Part 2, build_reference_store(): pushes a fixed scenario through a running
Registry and returns a Scenario that knows every digest it pushed, which
manifests are tagged, deleted or moved away, and what each policy must keep.
"""

import gzip
import hashlib
import io
import json
import os
import tarfile

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
MT_EMPTY = "application/vnd.oci.empty.v1+json"
EMPTY_JSON = b"{}"
REF_NAME = "org.opencontainers.image.ref.name"

ART_SIGNATURE = "application/vnd.example.signature.v1"
ART_SBOM = "application/vnd.example.sbom.v1"


def sha256_digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical_json(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def descriptor(media_type, data, **extra):
    d = {"mediaType": media_type, "digest": sha256_digest(data),
         "size": len(data)}
    d.update(extra)
    return d


def tar_layer(name, files):
    """A deterministic gzipped tar; returns (gzip bytes, diff_id)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for path, content in sorted(files.items()):
            info = tarfile.TarInfo(path)
            info.size = len(content)
            info.mtime = 1700000000
            info.mode = 0o644
            info.uname = info.gname = "root"
            t.addfile(info, io.BytesIO(content))
    raw = buf.getvalue()
    return gzip.compress(raw, compresslevel=6, mtime=0), sha256_digest(raw)


class Layer:
    """A gzipped tar layer with one text file; `name` makes it unique."""

    def __init__(self, name):
        self.name = name
        content = (f"layer {name}\n" * 20).encode()
        self.data, self.diff_id = tar_layer(name, {
            f"files/{name}.txt": content})
        self.digest = sha256_digest(self.data)
        self.descriptor = descriptor(MT_LAYER_GZIP, self.data)


class OciLayout:
    """An OCI image layout directory.

    Every add_* call writes the blobs it needs and returns the manifest's
    descriptor; tag() names a descriptor in index.json so that skopeo can
    copy it as `oci:DIR:REF`. save() writes index.json."""

    def __init__(self, path):
        self.path = path
        self.blob_dir = os.path.join(path, "blobs", "sha256")
        os.makedirs(self.blob_dir, exist_ok=True)
        with open(os.path.join(path, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)
        self.refs = {}
        # digest -> raw bytes of everything written (for API pushes).
        self.blobs = {}
        self.save()

    def add_blob(self, data):
        digest = sha256_digest(data)
        self.blobs[digest] = data
        path = os.path.join(self.blob_dir, digest.split(":", 1)[1])
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(data)
        return digest

    def add_image(self, name, layers, arch="amd64", variant=None, os_="linux"):
        """An image manifest with a valid config over the given Layers.
        Returns (manifest descriptor, Image)."""
        config = {
            "created": "2024-01-01T00:00:00Z",
            "architecture": arch,
            "os": os_,
            "config": {"Env": [f"IMAGE={name}"], "Cmd": ["/bin/true"]},
            "rootfs": {"type": "layers",
                       "diff_ids": [layer.diff_id for layer in layers]},
            "history": [{"created": "2024-01-01T00:00:00Z",
                         "created_by": f"layer {layer.name}"}
                        for layer in layers],
        }
        if variant:
            config["variant"] = variant
        config_data = canonical_json(config)
        self.add_blob(config_data)
        for layer in layers:
            self.add_blob(layer.data)
        manifest = {
            "schemaVersion": 2,
            "mediaType": MT_MANIFEST,
            "config": descriptor(MT_CONFIG, config_data),
            "layers": [layer.descriptor for layer in layers],
            "annotations": {"org.example.image": name},
        }
        data = canonical_json(manifest)
        self.add_blob(data)
        platform = {"architecture": arch, "os": os_}
        if variant:
            platform["variant"] = variant
        desc = descriptor(MT_MANIFEST, data, platform=platform)
        image = Image(name, desc["digest"], data, MT_MANIFEST,
                      sha256_digest(config_data), [l.digest for l in layers])
        return desc, image

    def add_index(self, name, children):
        """An image index over (descriptor, Image) children."""
        index = {
            "schemaVersion": 2,
            "mediaType": MT_INDEX,
            "manifests": [desc for desc, _ in children],
            "annotations": {"org.example.index": name},
        }
        data = canonical_json(index)
        self.add_blob(data)
        desc = descriptor(MT_INDEX, data)
        image = Image(name, desc["digest"], data, MT_INDEX, None, [],
                      children=[img for _, img in children])
        return desc, image

    def add_referrer(self, name, subject, artifact_type, payload):
        """An OCI artifact manifest: artifactType, the empty config `{}`, one
        layer holding payload, and `subject` pointing at an Image."""
        self.add_blob(EMPTY_JSON)
        self.add_blob(payload)
        manifest = {
            "schemaVersion": 2,
            "mediaType": MT_MANIFEST,
            "artifactType": artifact_type,
            "config": descriptor(MT_EMPTY, EMPTY_JSON),
            "layers": [descriptor(artifact_type + "+json", payload)],
            "subject": {"mediaType": subject.media_type,
                        "digest": subject.digest,
                        "size": len(subject.data)},
            "annotations": {"org.example.referrer": name},
        }
        data = canonical_json(manifest)
        self.add_blob(data)
        desc = descriptor(MT_MANIFEST, data, artifactType=artifact_type)
        return desc, Image(name, desc["digest"], data, MT_MANIFEST,
                           sha256_digest(EMPTY_JSON),
                           [sha256_digest(payload)], subject=subject)

    def tag(self, ref, desc):
        entry = dict(desc)
        entry["annotations"] = {REF_NAME: ref}
        self.refs[ref] = entry
        self.save()

    def save(self):
        index = {"schemaVersion": 2, "mediaType": MT_INDEX,
                 "manifests": list(self.refs.values())}
        tmp = os.path.join(self.path, "index.json.tmp")
        with open(tmp, "w") as f:
            json.dump(index, f, indent=1)
        os.replace(tmp, os.path.join(self.path, "index.json"))


class Image:
    """What the test knows about one manifest it built."""

    def __init__(self, name, digest, data, media_type, config, layers,
                 children=(), subject=None):
        self.name = name
        self.digest = digest
        self.data = data
        self.media_type = media_type
        self.config = config
        self.layers = list(layers)
        self.children = list(children)
        self.subject = subject

    def direct_refs(self):
        """What distribution's References() returns: config and layers for
        an image, child manifests for an index (not the subject)."""
        refs = [self.config] if self.config else []
        return refs + self.layers + [c.digest for c in self.children]

    def closure(self):
        """Every blob this manifest needs to be pulled: itself, its config
        and layers, and its children's, recursively."""
        out = {self.digest}
        out.update(d for d in [self.config] + self.layers if d)
        for child in self.children:
            out |= child.closure()
        return out


def push_referrer(registry, layout, repo, ref_image):
    """Pushes a referrer untagged through the HTTP API (skopeo 1.9.3 cannot
    push to a digest reference): its blobs, then the manifest by digest.
    Checks that the registry serves it back by digest, byte for byte."""
    for digest in [ref_image.config] + ref_image.layers:
        registry.upload_blob(repo, digest, layout.blobs[digest])
    got = registry.put_manifest(repo, ref_image.digest, ref_image.media_type,
                                ref_image.data)
    if got and got != ref_image.digest:
        raise RuntimeError(f"registry stored {ref_image.name} as {got}, "
                           f"expected {ref_image.digest}")
    status, body = registry.get_manifest(repo, ref_image.digest,
                                         [ref_image.media_type])
    if status != 200 or body != ref_image.data:
        raise RuntimeError(f"registry does not serve referrer "
                           f"{ref_image.name} ({ref_image.digest}): {status}")


# ---------------------------------------------------------------------------
# The reference store


class Scenario:
    """Everything the reference store holds, as the test pushed it.

    revisions: (repo, Image) for every manifest the repository still holds
      (pushed and not deleted through the API).
    tagged: (repo, tag) -> Image, the current tags.
    referrers: (repo, Image) for every referrer pushed.
    names: digest -> human description, for failure messages.
    """

    def __init__(self):
        self.revisions = []
        self.deleted = []      # (repo, Image) deleted through the API
        self.moved_away = []   # (repo, Image) whose tag moved elsewhere
        self.tagged = {}
        self.referrers = []
        self.index_children = []  # (repo, Image)
        # Layers of the API-deleted image that other repositories still use.
        self.shared_with_deleted = set()
        self.names = {}
        self.all_images = []

    # -- recording ---------------------------------------------------------

    def _name(self, img):
        self.all_images.append(img)
        self.names.setdefault(img.digest, f"manifest {img.name}")
        if img.config:
            self.names.setdefault(img.config, f"config of {img.name}")
        for i, layer in enumerate(img.layers):
            self.names.setdefault(layer, f"layer {i} of {img.name}")
        for child in img.children:
            self._name(child)

    def add_revision(self, repo, img):
        self._name(img)
        if (repo, img) not in self.revisions:
            self.revisions.append((repo, img))

    # -- what is in the store ----------------------------------------------

    def all_blobs(self):
        """Every blob pushed (manifests are blobs too)."""
        out = set()
        for img in self.all_images:
            out |= img.closure()
        return out

    def revision_set(self):
        return {(repo, img.digest) for repo, img in self.revisions}

    # -- expected results ----------------------------------------------------

    def kept_default(self):
        """Default mode: every revision is a root; everything it needs is
        kept (distribution and regsweep agree here)."""
        kept = set()
        for _, img in self.revisions:
            kept |= img.closure()
        return kept

    def kept_regsweep_untagged(self):
        """-m mode, regsweep's policy: roots are the tagged manifests; keep
        their closure (index children included), and referrers of kept
        manifests of the same repository, recursively.
        Returns (kept blobs, kept (repo, digest) revisions)."""
        kept_revs = set()
        for (repo, _tag), img in self.tagged.items():
            kept_revs.add((repo, img.digest))
            kept_revs |= {(repo, c.digest) for c in img.children}
        changed = True
        while changed:
            changed = False
            for repo, ref in self.referrers:
                if ((repo, ref.subject.digest) in kept_revs
                        and (repo, ref.digest) not in kept_revs):
                    kept_revs.add((repo, ref.digest))
                    changed = True
        kept = set()
        by_key = {(repo, img.digest): img for repo, img in self.revisions}
        for key in kept_revs:
            kept |= by_key[key].closure()
        return kept, kept_revs

    def kept_distribution_untagged(self):
        """-m mode as distribution 2.8.2 does it: a tagged manifest marks
        itself and its direct references only; untagged revisions (index
        children and referrers included) are eligible for deletion."""
        kept = set()
        for img in self.tagged.values():
            kept.add(img.digest)
            kept.update(img.direct_refs())
        return kept

    def untagged_revisions(self):
        tagged = {(repo, img.digest) for (repo, _), img in self.tagged.items()}
        return {key for key in self.revision_set() if key not in tagged}


def build_reference_store(registry, workdir):
    """Pushes the reference scenario through `registry` (running) and returns
    the Scenario. Repositories:

      base         base:latest = [base1, base2]
      team/app     v1 first = app-v1-old [base1, base2, app-old]; then v1 is
                   moved to app-v1 [base1, base2, app-new] (app-v1-old stays
                   as an untagged revision). Referrers: sig-app (subject
                   app-v1), sbom-app (subject app-v1), sig-sbom (subject
                   sbom-app), sig-old (subject app-v1-old).
      team/tool    tool:1.0 = index of amd64, arm64, arm/v7 children sharing
                   tool-common and base1; sig-tool (subject the index).
      team/old     old:v0 = old-image [base1, old-shared, old-unique], then
                   deleted through the API.
      mirror/old   mirror:v0 = mirror-image [old-shared, mirror-own]: keeps
                   the layer shared with the deleted image.
    """
    layout = OciLayout(os.path.join(workdir, "layout"))
    sc = Scenario()
    base1, base2 = Layer("base1"), Layer("base2")

    def push(desc_img, repo, tag, all_images=False):
        desc, img = desc_img
        ref = f"{repo.replace('/', '-')}-{tag}-{img.name}"
        layout.tag(ref, desc)
        registry.push_oci(layout.path, ref, repo, tag, all_images=all_images)
        sc.add_revision(repo, img)
        for child in img.children:
            sc.add_revision(repo, child)
            sc.index_children.append((repo, child))
        sc.tagged[(repo, tag)] = img
        return img

    def referrer(repo, name, subject, artifact_type):
        payload = canonical_json({"referrer": name, "of": subject.digest})
        _, img = layout.add_referrer(name, subject, artifact_type, payload)
        push_referrer(registry, layout, repo, img)
        sc.add_revision(repo, img)
        sc.referrers.append((repo, img))
        return img

    push(layout.add_image("base", [base1, base2]), "base", "latest")

    old = push(layout.add_image("app-v1-old",
                                [base1, base2, Layer("app-old")]),
               "team/app", "v1")
    referrer("team/app", "sig-old", old, ART_SIGNATURE)
    app = push(layout.add_image("app-v1", [base1, base2, Layer("app-new")]),
               "team/app", "v1")
    sc.moved_away.append(("team/app", old))
    referrer("team/app", "sig-app", app, ART_SIGNATURE)
    sbom = referrer("team/app", "sbom-app", app, ART_SBOM)
    referrer("team/app", "sig-sbom", sbom, ART_SIGNATURE)

    common = Layer("tool-common")
    children = [
        layout.add_image("tool-amd64", [base1, common, Layer("tool-amd64")],
                         arch="amd64"),
        layout.add_image("tool-arm64", [base1, common, Layer("tool-arm64")],
                         arch="arm64"),
        layout.add_image("tool-armv7", [base1, common, Layer("tool-armv7")],
                         arch="arm", variant="v7"),
    ]
    tool = push(layout.add_index("tool-index", children), "team/tool", "1.0",
                all_images=True)
    referrer("team/tool", "sig-tool", tool, ART_SIGNATURE)

    shared = Layer("old-shared")
    gone = push(layout.add_image("old-image",
                                 [base1, shared, Layer("old-unique")]),
                "team/old", "v0")
    push(layout.add_image("mirror-image", [shared, Layer("mirror-own")]),
         "mirror/old", "v0")
    sc.shared_with_deleted = {base1.digest, shared.digest}
    registry.delete_manifest("team/old", gone.digest)
    sc.revisions.remove(("team/old", gone))
    del sc.tagged[("team/old", "v0")]
    sc.deleted.append(("team/old", gone))
    return sc


def check_store_matches(sc, root):
    """Compares the store on disk with the scenario; returns a list of
    mismatch descriptions (empty when the store is as expected)."""
    from registry_harness import blobs_on_disk, revisions_on_disk
    problems = []
    disk_blobs, want_blobs = blobs_on_disk(root), sc.all_blobs()
    if disk_blobs != want_blobs:
        problems.append(f"blobs on disk not pushed: "
                        f"{sorted(disk_blobs - want_blobs)}; pushed but not "
                        f"on disk: {sorted(want_blobs - disk_blobs)}")
    disk_revs, want_revs = revisions_on_disk(root), sc.revision_set()
    if disk_revs != want_revs:
        problems.append(f"revisions on disk not expected: "
                        f"{sorted(disk_revs - want_revs)}; expected but "
                        f"missing: {sorted(want_revs - disk_revs)}")
    return problems
