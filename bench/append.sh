#!/usr/bin/env bash
# Benchmark cr append on this machine, in one run:
#   bench/append.sh [RUNS] [MIB]      (default 3 runs, 256 MiB)
# A: cr append of a MIB MiB directory (one file of random, incompressible data) to a
#    3-platform base: tarred, hashed, gzip-compressed (level 1) and uploaded once, then three
#    configs, three manifests and an index written;
# B: cr push of an OCI layout holding one MIB MiB gzip layer of random data (nothing to
#    compress: the upload alone).
# Each run on a fresh docker-registry; prints wall, CPU (user+sys) and peak RSS per run, the
# medians and the ratio A/B (target <= 1.2).
# BENCH_STORAGE=disk|tmpfs (default disk): where the registry keeps its blobs.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
mib=${2:-256}
scripts/deps.sh
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
cargo build --release --locked -q
cr=$PWD/target/release/cr
work=${BENCH_DIR:-/tmp/cr-bench-append}
mkdir -p "$work"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap 'cleanup; rm -rf /dev/shm/cr-bench-append' EXIT

# The inputs: a directory with MIB MiB of random data, a layout with one such layer, and a
# 3-platform base of tiny images.
files="$work/files-$mib"
if [ ! -f "$files/data.bin" ]; then
  mkdir -p "$files"
  head -c "$((mib << 20))" /dev/urandom > "$files/data.bin.tmp" && mv "$files/data.bin.tmp" "$files/data.bin"
fi
one="$work/one-$mib"
[ -f "$one/index.json" ] || python3 bench/make-image.py "$one" big 1 "$mib" >/dev/null
base="$work/base3"
if [ ! -f "$base/index.json" ]; then
  python3 - "$base" <<'EOF'
import gzip, hashlib, io, json, os, sys, tarfile
out = sys.argv[1]
os.makedirs(os.path.join(out, "blobs/sha256"), exist_ok=True)
def blob(b):
    d = hashlib.sha256(b).hexdigest()
    open(os.path.join(out, "blobs/sha256", d), "wb").write(b)
    return {"digest": "sha256:" + d, "size": len(b)}
children = []
for arch in ["amd64", "arm64", "s390x"]:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as t:
        data = f"base {arch}\n".encode()
        ti = tarfile.TarInfo("etc/arch"); ti.size = len(data)
        t.addfile(ti, io.BytesIO(data))
    raw = raw.getvalue()
    layer = blob(gzip.compress(raw, compresslevel=1, mtime=0))
    cfg = blob(json.dumps({"architecture": arch, "os": "linux", "created": "2024-01-01T00:00:00Z",
        "config": {}, "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "bench"}]}).encode())
    m = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **cfg},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer}]}).encode())
    children.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", **m,
                     "platform": {"os": "linux", "architecture": arch}})
idx = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                       "manifests": children}).encode())
open(os.path.join(out, "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json", **idx,
           "annotations": {"org.opencontainers.image.ref.name": "base"}}]}, open(os.path.join(out, "index.json"), "w"))
EOF
fi

storage_root=$work
[ "${BENCH_STORAGE:-disk}" = tmpfs ] && storage_root=/dev/shm/cr-bench-append
start_registry() {
  local d="$storage_root/reg-$1"
  rm -rf "$d"; mkdir -p "$d"
  printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s/storage\nhttp:\n  addr: 127.0.0.1:%s\n' "$d" "$2" > "$d/config.yml"
  docker-registry serve "$d/config.yml" > "$d/log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$2) 2>/dev/null && return; sleep 0.05; done
  echo "registry $1 did not start" >&2; exit 1
}
stop_registries() { cleanup; pids=(); sleep 0.3; }

results="$work/results.txt"
: > "$results"
# measure LABEL CMD...: appends "LABEL wall cpu rss_kib" to results
measure() {
  local label=$1; shift
  sync
  /usr/bin/time -o "$work/time.out" -f "%e %U %S %M" "$@" >"$work/stdout.out" 2>"$work/stderr.out" || {
    echo "$label failed:" >&2; cat "$work/stderr.out" >&2; exit 1; }
  read -r wall user sys rss < <(tail -1 "$work/time.out")
  echo "$label $wall $(python3 -c "print(round($user+$sys,2))") $rss" | tee -a "$results"
}

for i in $(seq 1 "$runs"); do
  start_registry a 5241
  skopeo copy -q --all --preserve-digests --dest-tls-verify=false "oci:$base:base" docker://127.0.0.1:5241/bench/base:3 >/dev/null
  measure append "$cr" append 127.0.0.1:5241/bench/base:3 --layer "$files" -t 127.0.0.1:5241/bench/app:1
  # Every platform got the layer.
  n=$(skopeo inspect --raw --tls-verify=false docker://127.0.0.1:5241/bench/app:1 | python3 -c "import json,sys; print(len(json.load(sys.stdin)['manifests']))")
  [ "$n" = 3 ] || { echo "the appended index has $n platforms" >&2; exit 1; }
  stop_registries
  start_registry b 5242
  measure push "$cr" push -q "oci:$one:big" 127.0.0.1:5242/bench/one:1
  stop_registries
done

python3 - "$results" "$mib" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
med = {}
for label in ["append", "push"]:
    r = [x for x in rows if x[0] == label]
    med[label] = [statistics.median(float(x[i]) for x in r) for i in (1, 2, 3)]
    print(f"{label:7} median of {len(r)}: wall {med[label][0]:.2f} s, cpu {med[label][1]:.2f} s, peak RSS {med[label][2]/1024:.0f} MiB")
ratio = med["append"][0] / med["push"][0]
print(f"append of a {sys.argv[2]} MiB directory to a 3-platform base / push of one {sys.argv[2]} MiB layer: wall {ratio:.2f}x (target <= 1.2)")
EOF
