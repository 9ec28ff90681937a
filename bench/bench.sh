#!/usr/bin/env bash
# Benchmark cr against skopeo on this machine, in one run, same registry build, same image:
#   bench/bench.sh [RUNS] [LAYERS] [LAYER_MIB]      (default 5 runs, 4 x 256 MiB)
# push (oci layout -> registry), copy (registry -> registry), pull (registry -> oci layout),
# alternating cr and skopeo, each on a fresh docker-registry; prints wall, CPU (user+sys),
# peak RSS per run, the registries' CPU during the run, the medians, cr/skopeo ratios, and the
# floor the registries' own CPU sets for any client. Then image-list on 200 repos x 5 tags
# (200 distinct images).
# BENCH_STORAGE=disk|tmpfs (default disk): where the registries keep their blobs. On disk,
# docker-registry fsyncs every blob it receives, so push and copy are bounded by the disk;
# on tmpfs (/dev/shm) what is measured is the clients and the registry's CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
layers=${2:-4}
mib=${3:-256}
scripts/deps.sh
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
cargo build --release --locked -q
cr=$PWD/target/release/cr
work=${BENCH_DIR:-/tmp/cr-bench}
mkdir -p "$work"
img="$work/img-${layers}x${mib}"
if [ ! -f "$img/index.json" ]; then
  echo "building a ${layers} x ${mib} MiB image in $img" >&2
  python3 bench/make-image.py "$img" big "$layers" "$mib" >/dev/null
fi
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap 'cleanup; rm -rf /dev/shm/cr-bench' EXIT

# start_registry NAME PORT: a fresh registry with empty storage
storage_root=$work
[ "${BENCH_STORAGE:-disk}" = tmpfs ] && storage_root=/dev/shm/cr-bench
start_registry() {
  local d="$storage_root/reg-$1"
  rm -rf "$d"; mkdir -p "$d"
  printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s/storage\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:%s\n' "$d" "$2" > "$d/config.yml"
  docker-registry serve "$d/config.yml" > "$d/log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$2) 2>/dev/null && return; sleep 0.05; done
  echo "registry $1 did not start" >&2; exit 1
}
stop_registries() { cleanup; pids=(); sleep 0.3; }

# CPU seconds (user+sys) the running registries have used so far
reg_cpu() {
  local t=0 p
  for p in "${pids[@]}"; do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done
  echo "$t"
}

# measure LABEL CMD...: appends "label wall cpu rss_kib registries_cpu" to results
results="$work/results.txt"
: > "$results"
measure() {
  local label=$1; shift
  sync
  local before; before=$(reg_cpu)
  /usr/bin/time -o "$work/time.out" -f "%e %U %S %M" "$@" >/dev/null 2>"$work/stderr.out" || {
    echo "$label failed:" >&2; cat "$work/stderr.out" >&2; exit 1; }
  local after; after=$(reg_cpu)
  read -r wall user sys rss < <(tail -1 "$work/time.out")
  local cpu
  cpu=$(python3 -c "print(round($user+$sys,2))")
  echo "$label $wall $cpu $rss $(python3 -c "print(round(($after-$before)/$(getconf CLK_TCK),2))")" | tee -a "$results"
}

S="--dest-tls-verify=false"
for i in $(seq 1 "$runs"); do
  for tool in cr skopeo; do
    start_registry a 5201
    if [ $tool = cr ]; then
      measure "push-cr" "$cr" push -q "oci:$img:big" 127.0.0.1:5201/bench/img:1
    else
      measure "push-skopeo" skopeo copy -q $S "oci:$img:big" docker://127.0.0.1:5201/bench/img:1
    fi
    start_registry b 5202
    if [ $tool = cr ]; then
      measure "copy-cr" "$cr" copy -q 127.0.0.1:5201/bench/img:1 127.0.0.1:5202/bench/img:1
    else
      measure "copy-skopeo" skopeo copy -q --src-tls-verify=false $S docker://127.0.0.1:5201/bench/img:1 docker://127.0.0.1:5202/bench/img:1
    fi
    rm -rf "$work/pulled"
    if [ $tool = cr ]; then
      measure "pull-cr" "$cr" pull -q 127.0.0.1:5201/bench/img:1 "oci:$work/pulled:1"
    else
      measure "pull-skopeo" skopeo copy -q --src-tls-verify=false docker://127.0.0.1:5201/bench/img:1 "oci:$work/pulled:1"
    fi
    rm -rf "$work/pulled"
    stop_registries
  done
done

python3 - "$results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
med = {}
for op in ("push", "copy", "pull"):
    for tool in ("cr", "skopeo"):
        r = [x for x in rows if x[0] == f"{op}-{tool}"]
        med[op, tool] = tuple(statistics.median(float(x[i]) for x in r) for i in (1, 2, 3, 4))
print(f"\n{'op':6} {'tool':7} {'wall s':>8} {'cpu s':>8} {'rss MiB':>8} {'reg cpu s':>10}   (medians of the runs above)")
for (op, tool), (w, c, m, g) in med.items():
    print(f"{op:6} {tool:7} {w:8.2f} {c:8.2f} {m/1024:8.1f} {g:10.2f}")
print()
ncpu = __import__("os").cpu_count()
for op in ("push", "copy", "pull"):
    cw, cc, cm, cg = med[op, "cr"]; sw, sc, sm, sg = med[op, "skopeo"]
    # The registries' own CPU spread over every core: no client can finish sooner.
    floor = cg / ncpu
    print(f"{op}: cr/skopeo wall {cw/sw:.2f}, cpu {cc/sc:.2f}, rss {cm/sm:.2f};"
          f" registries alone need {cg:.2f} s CPU = {floor:.2f} s on {ncpu} cores = {floor/sw:.2f} of skopeo's wall")
PY

if [ "${BENCH_LIST:-1}" = 1 ]; then
  echo; echo "image-list: 200 repositories x 5 tags" >&2
  start_registry l 5203
  seed() {
    local i=$1 d="$work/small-$1"
    [ -f "$d/index.json" ] || scripts/make-image.sh "$d" v1 4 >/dev/null
    local repo=127.0.0.1:5203/ns$((i % 10))/repo$i
    "$cr" push -q "oci:$d:v1" "$repo:v1" >/dev/null
    for t in 2 3 4 5; do "$cr" image-tag -q "$repo:v1" "$repo:v$t" >/dev/null; done
  }
  export -f seed; export cr work
  seq 0 199 | xargs -P 4 -I{} bash -c 'seed {}'

  for i in $(seq 1 "$runs"); do
    measure "image-list-cr" "$cr" --registry 127.0.0.1:5203 image-list -q
  done
  "$cr" --registry 127.0.0.1:5203 image-list -q | wc -l | sed 's/^/rows listed: /'
fi
