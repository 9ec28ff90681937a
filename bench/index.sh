#!/usr/bin/env bash
# index-create of 8 single-platform images (all in the index's repository) on a fresh
# docker-registry: prints the requests cr sent (from its --debug trace; the ping apart) and
# the wall time, first with an empty content cache, then with the configs cached.
#   bench/index.sh            (CR=path/to/cr to use another build; default: the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${CR:-}" ]; then
  cargo build --release --locked -q
  CR=$PWD/target/release/cr
fi
work=$(mktemp -d /tmp/cr-bench-index.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s/storage\nhttp:\n  addr: 127.0.0.1:%s\n' "$work" "$port" > "$work/config.yml"
docker-registry serve "$work/config.yml" > "$work/registry.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done
host=127.0.0.1:$port
export CR_CACHE_DIR=$work/cache
arches="amd64 arm64 s390x ppc64le 386 riscv64 mips64le loong64"
# One small OCI layout per platform (a one-file layer, a config naming the architecture).
python3 - "$work" $arches <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
root = sys.argv[1]
for arch in sys.argv[2:]:
    d = os.path.join(root, "l-" + arch)
    os.makedirs(os.path.join(d, "blobs/sha256"))
    def blob(b):
        h = hashlib.sha256(b).hexdigest()
        open(os.path.join(d, "blobs/sha256", h), "wb").write(b)
        return {"digest": "sha256:" + h, "size": len(b)}
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as t:
        data = ("hello " + arch).encode()
        info = tarfile.TarInfo("hello"); info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    raw = raw.getvalue()
    layer = blob(gzip.compress(raw, mtime=0))
    cfg = blob(json.dumps({"architecture": arch, "os": "linux", "rootfs": {"type": "layers",
        "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]}}).encode())
    m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": dict(mediaType="application/vnd.oci.image.config.v1+json", **cfg),
        "layers": [dict(mediaType="application/vnd.oci.image.layer.v1.tar+gzip", **layer)]}).encode()
    md = blob(m)
    open(os.path.join(d, "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
    open(os.path.join(d, "index.json"), "w").write(json.dumps({"schemaVersion": 2, "manifests": [
        dict(mediaType="application/vnd.oci.image.manifest.v1+json",
             annotations={"org.opencontainers.image.ref.name": "v1"}, **md)]}))
PY
srcs=()
for a in $arches; do
  "$CR" push -q --no-cache "oci:$work/l-$a:v1" "$host/bench/app:$a" >/dev/null
  srcs+=("$host/bench/app:$a")
done
run() {
  local label=$1 tag=$2 start end
  start=$(date +%s.%N)
  "$CR" --debug index-create "$host/bench/app:$tag" "${srcs[@]}" >/dev/null 2>"$work/trace"
  end=$(date +%s.%N)
  local total get_m get_b put
  total=$(grep -c '^> ' "$work/trace" || true)
  get_m=$(grep -c '^> GET .*/manifests/' "$work/trace" || true)
  get_b=$(grep -c '^> GET .*/blobs/' "$work/trace" || true)
  put=$(grep -c '^> PUT .*/manifests/' "$work/trace" || true)
  local ping=$(grep -c '^> GET .*/v2/$' "$work/trace" || true)
  printf '%-12s requests %2d (manifest GET %d, config GET %d, index PUT %d; ping %d)  wall %.3f s\n' \
    "$label" $((total - ping)) "$get_m" "$get_b" "$put" "$ping" "$(python3 -c "print($end - $start)")"
}
echo "index-create of 8 platforms on $host"
run "cold cache" all
run "warm cache" again
