#!/usr/bin/env python3
"""Seed a docker-registry's filesystem storage directly (thousands of images in a second,
where pushing them one by one would take minutes). The registry serves them as if pushed:
blobs under blobs/sha256/XX/HEX/data, and per repository the _layers, _manifests/revisions
and _manifests/tags links the filesystem driver reads.

    bench/seed-registry.py images ROOT REPOS TAGS [NS]   # REPOS x TAGS distinct images,
        repositories ns{i%10}/repo{i} (or NS/repo{i}), tags v1..vTAGS, v1 the oldest (a day apart)
    bench/seed-registry.py tags ROOT REPO TAGS       # one image in REPO with TAGS tags
With BASE_KIB=N in the environment, every image also has a shared base layer of N KiB (the
same blob in every repository), below its own small layer.
"""
import gzip, hashlib, io, json, os, sys, tarfile, time

V2 = "docker/registry/v2"


def put_blob(root, data):
    h = hashlib.sha256(data).hexdigest()
    d = os.path.join(root, V2, "blobs/sha256", h[:2], h)
    os.makedirs(d, exist_ok=True)
    p = os.path.join(d, "data")
    if not os.path.exists(p):
        with open(p, "wb") as f:
            f.write(data)
    return "sha256:" + h


def link(root, repo, *parts, digest):
    d = os.path.join(root, V2, "repositories", repo, *parts)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "link"), "w") as f:
        f.write(digest)


BASE = None


def base_layer():
    """The shared base layer (gzip of BASE_KIB KiB of seeded random bytes), or None."""
    global BASE
    kib = int(os.environ.get("BASE_KIB", "0"))
    if kib and BASE is None:
        import random
        rnd = random.Random(42)
        data = bytes(rnd.getrandbits(8) for _ in range(kib * 1024))
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as t:
            info = tarfile.TarInfo("base.bin")
            info.size = len(data)
            info.mtime = 1700000000
            t.addfile(info, io.BytesIO(data))
        raw = raw.getvalue()
        BASE = (gzip.compress(raw, compresslevel=1, mtime=0), "sha256:" + hashlib.sha256(raw).hexdigest())
    return BASE


def image(root, repo, name, created):
    """One small image (a config and one gzip layer, over the shared base layer when there is
    one) in repo; returns the manifest digest."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as t:
        content = f"{repo} {name}\n".encode()
        info = tarfile.TarInfo("id.txt")
        info.size = len(content)
        info.mtime = 1700000000
        t.addfile(info, io.BytesIO(content))
    raw = raw.getvalue()
    layer = gzip.compress(raw, mtime=0)
    ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created))
    base = base_layer()
    diff_ids = ([base[1]] if base else []) + ["sha256:" + hashlib.sha256(raw).hexdigest()]
    config = json.dumps({
        "created": ts, "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": ts, "created_by": "bench/seed-registry.py"}],
    }).encode()
    cd, ld = put_blob(root, config), put_blob(root, layer)
    layers = [(ld, len(layer))]
    if base:
        layers.insert(0, (put_blob(root, base[0]), len(base[0])))
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": n} for d, n in layers],
    }).encode()
    md = put_blob(root, manifest)
    for d in [cd] + [d for d, _ in layers]:
        link(root, repo, "_layers/sha256", d[7:], digest=d)
    link(root, repo, "_manifests/revisions/sha256", md[7:], digest=md)
    return md


def tag(root, repo, t, digest):
    link(root, repo, "_manifests/tags", t, "current", digest=digest)
    link(root, repo, "_manifests/tags", t, "index/sha256", digest[7:], digest=digest)


def main():
    mode, root = sys.argv[1], sys.argv[2]
    now = int(time.time())
    if mode == "images":
        repos, tags = int(sys.argv[3]), int(sys.argv[4])
        ns = sys.argv[5] if len(sys.argv) > 5 else None
        for i in range(repos):
            repo = f"{ns}/repo{i}" if ns else f"ns{i % 10}/repo{i}"
            for k in range(1, tags + 1):
                d = image(root, repo, f"v{k}", now - (tags - k + 1) * 86400)
                tag(root, repo, f"v{k}", d)
    elif mode == "tags":
        repo, tags = sys.argv[3], int(sys.argv[4])
        d = image(root, repo, "v1", now - 86400)
        for k in range(1, tags + 1):
            tag(root, repo, f"v{k}", d)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
