#!/usr/bin/env python3
"""Build an OCI image layout of N gzip layers of SIZE MiB of random data each (no network):
    bench/make-image.py DIR TAG LAYERS SIZE_MIB
Layers are real tar+gzip (level 1), with correct diff_ids in the config."""
import gzip, hashlib, io, json, os, sys, tarfile

def blob(dir, data_path_or_bytes):
    h = hashlib.sha256()
    if isinstance(data_path_or_bytes, bytes):
        h.update(data_path_or_bytes)
        d = h.hexdigest()
        with open(os.path.join(dir, "blobs/sha256", d), "wb") as f:
            f.write(data_path_or_bytes)
        return "sha256:" + d, len(data_path_or_bytes)

def main():
    out, tag, layers, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    os.makedirs(os.path.join(out, "blobs/sha256"), exist_ok=True)
    descs, diff_ids = [], []
    for i in range(layers):
        tmp = os.path.join(out, f"layer{i}.tmp")
        raw, gz = hashlib.sha256(), hashlib.sha256()
        class Tee:
            def __init__(self, f): self.f = f
            def write(self, b):
                gz.update(b); self.f.write(b); return len(b)
            def flush(self): self.f.flush()
        class RawTee:
            def __init__(self, g): self.g = g
            def write(self, b):
                raw.update(b); return self.g.write(b)
            def flush(self): pass
        with open(tmp, "wb") as f:
            g = gzip.GzipFile(fileobj=Tee(f), mode="wb", compresslevel=1, mtime=0)
            rt = RawTee(g)
            ti = tarfile.TarInfo(f"data{i}.bin"); ti.size = size << 20; ti.mtime = 1700000000
            rt.write(ti.tobuf(format=tarfile.GNU_FORMAT))
            left = ti.size
            while left:
                n = min(left, 4 << 20); rt.write(os.urandom(n)); left -= n
            pad = (512 - ti.size % 512) % 512
            rt.write(b"\0" * (pad + 1024))
            g.close()
        d = gz.hexdigest()
        os.replace(tmp, os.path.join(out, "blobs/sha256", d))
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + d,
                      "size": os.path.getsize(os.path.join(out, "blobs/sha256", d))})
        diff_ids.append("sha256:" + raw.hexdigest())
    config = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
                         "config": {}, "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    cd, cs = blob(out, config)
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
                           "layers": descs}).encode()
    md, ms = blob(out, manifest)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                   "digest": md, "size": ms, "annotations": {"org.opencontainers.image.ref.name": tag}}]}, f)
    print(md)

main()
