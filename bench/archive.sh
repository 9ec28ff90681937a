#!/usr/bin/env bash
# Benchmark cr against skopeo on archives, in one run, same registry build, same image:
#   bench/archive.sh [RUNS] [LAYERS] [LAYER_MIB]      (default 3 runs, 4 x 256 MiB)
# pull-docker (registry -> docker-archive), pull-ociarch (registry -> oci-archive) and
# push-docker (a `docker save` archive with uncompressed layers -> a fresh registry),
# alternating cr and skopeo; prints wall, CPU (user+sys), peak RSS per run, the medians and
# the cr/skopeo ratios. BENCH_STORAGE=disk|tmpfs as in bench.sh (default disk).
# CR_BINS="before=/path/to/old/cr after=/path/to/new/cr" measures several cr builds in the
# same run (default: cr=target/release/cr, built here). BENCH_OPS="push-docker" (any of
# pull-docker pull-ociarch push-docker) measures only those.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
ops=${BENCH_OPS:-pull-docker pull-ociarch push-docker}
want() { [[ " $ops " == *" $1 "* ]]; }
layers=${2:-4}
mib=${3:-256}
scripts/deps.sh
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
if [ -z "${CR_BINS:-}" ]; then
  cargo build --release --locked -q
  CR_BINS="cr=$PWD/target/release/cr"
fi
declare -A bin
tools=()
for b in $CR_BINS; do bin[${b%%=*}]=${b#*=}; tools+=("${b%%=*}"); done
tools+=(skopeo)
work=${BENCH_DIR:-/tmp/cr-bench-archive}
port=${BENCH_PORT:-5231}
mkdir -p "$work"
img="$work/img-${layers}x${mib}"
if [ ! -f "$img/index.json" ]; then
  echo "building a ${layers} x ${mib} MiB image in $img" >&2
  python3 bench/make-image.py "$img" big "$layers" "$mib" >/dev/null
fi
# The `docker save` form of the same image: uncompressed layer tars (skopeo writes it).
saved="$work/saved-${layers}x${mib}.tar"
[ -f "$saved" ] || skopeo copy -q "oci:$img:big" "docker-archive:$saved:bench/img:1"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap 'cleanup; rm -rf /dev/shm/cr-bench-archive' EXIT

storage_root=$work
[ "${BENCH_STORAGE:-disk}" = tmpfs ] && storage_root=/dev/shm/cr-bench-archive
start_registry() {
  local d="$storage_root/reg-$1"
  rm -rf "$d"; mkdir -p "$d"
  printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s/storage\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:%s\n' "$d" "$2" > "$d/config.yml"
  docker-registry serve "$d/config.yml" > "$d/log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$2) 2>/dev/null && return; sleep 0.05; done
  echo "registry $1 did not start" >&2; exit 1
}

results="$work/results.txt"
: > "$results"
measure() {
  local label=$1; shift
  sync
  /usr/bin/time -o "$work/time.out" -f "%e %U %S %M" "$@" >/dev/null 2>"$work/stderr.out" || {
    echo "$label failed:" >&2; cat "$work/stderr.out" >&2; exit 1; }
  read -r wall user sys rss < <(tail -1 "$work/time.out")
  echo "$label $wall $(python3 -c "print(round($user+$sys,2))") $rss $user $sys" | tee -a "$results"
}

S="--src-tls-verify=false"
D="--dest-tls-verify=false"
# The image pulled from: one registry for the whole run.
start_registry src "$port"
skopeo copy -q $D "oci:$img:big" "docker://127.0.0.1:$port/bench/img:1"
src=127.0.0.1:$port/bench/img:1
export CR_CACHE_DIR="$work/cache"
for i in $(seq 1 "$runs"); do
  for tool in "${tools[@]}"; do
    out="$work/out.tar"
    rm -f "$out"
    if ! want pull-docker; then :
    elif [ $tool != skopeo ]; then
      measure pull-docker-$tool "${bin[$tool]}" pull -q "$src" "docker-archive:$out"
    else
      measure pull-docker-skopeo skopeo copy -q $S "docker://$src" "docker-archive:$out"
    fi
    rm -f "$out"
    if ! want pull-ociarch; then :
    elif [ $tool != skopeo ]; then
      measure pull-ociarch-$tool "${bin[$tool]}" pull -q "$src" "oci-archive:$out:1"
    else
      measure pull-ociarch-skopeo skopeo copy -q $S "docker://$src" "oci-archive:$out:1"
    fi
    rm -f "$out"
    rm -rf "$work/cache"
    want push-docker || continue
    start_registry "push$i$tool" $((port + 1))
    dst=127.0.0.1:$((port + 1))/bench/pushed:1
    if [ $tool != skopeo ]; then
      measure push-docker-$tool "${bin[$tool]}" push -q "docker-archive:$saved" "$dst"
    else
      measure push-docker-skopeo skopeo copy -q $D "docker-archive:$saved" "docker://$dst"
    fi
    kill "${pids[-1]}"; unset 'pids[-1]'; sleep 0.3
    rm -rf "$storage_root/reg-push$i$tool"
  done
done

python3 - "$results" "$ops" "${tools[@]}" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
ops = sys.argv[2].split()
tools = sys.argv[3:]
med = {}
for op in ops:
    for tool in tools:
        r = [x for x in rows if x[0] == f"{op}-{tool}"]
        med[op, tool] = tuple(statistics.median(float(x[i]) for x in r) for i in (1, 2, 3, 5))
print(f"\n{'op':13} {'tool':7} {'wall s':>8} {'cpu s':>8} {'rss MiB':>8} {'sys s':>8}   (medians)")
for (op, tool), (w, c, m, s) in med.items():
    print(f"{op:13} {tool:7} {w:8.2f} {c:8.2f} {m/1024:8.1f} {s:8.2f}")
print()
for op in ops:
    sw, sc, sm, _ = med[op, "skopeo"]
    for tool in tools[:-1]:
        cw, cc, cm, _ = med[op, tool]
        per_run = [float(a[1]) / float(b[1]) for a, b in zip(
            [x for x in rows if x[0] == f"{op}-{tool}"], [x for x in rows if x[0] == f"{op}-skopeo"])]
        print(f"{op}: {tool}/skopeo wall {cw/sw:.2f}, cpu {cc/sc:.2f}, rss {cm/sm:.2f}"
              f" (wall per run: {', '.join(f'{r:.2f}' for r in per_run)})")
PY
