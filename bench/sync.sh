#!/usr/bin/env bash
# Benchmark cr sync against skopeo sync on this machine, in one run:
#   bench/sync.sh [RUNS]        (default 3)
# A source registry holds 50 repositories x 4 tags of small images sharing a 1 MiB base
# layer (seeded by bench/seed-registry.py). Each run, on a fresh destination:
#   cr sync SRC DST/mirror, then again with nothing changed;
#   skopeo sync --src yaml (the same 50 repositories, all tags, one process) the same way.
# Then cr's peak RSS syncing 50 vs 500 repositories of tiny images. Medians of RUNS.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
scripts/deps.sh
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
cargo build --release --locked -q
cr=$PWD/target/release/cr
work=${BENCH_DIR:-/tmp/cr-bench-sync}
rm -rf "$work"; mkdir -p "$work"
export CR_CACHE_DIR=$work/cache
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

start_registry() {  # NAME PORT
  local d="$work/reg-$1"
  mkdir -p "$d"
  printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s/storage\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:%s\n' "$d" "$2" > "$d/config.yml"
  docker-registry serve "$d/config.yml" > "$d/log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$2) 2>/dev/null && return; sleep 0.05; done
  echo "registry $1 did not start" >&2; exit 1
}
stop_last() { kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'; }

results="$work/results.txt"; : > "$results"
measure() {  # LABEL CMD...: appends "LABEL wall cpu rss_kib"
  local label=$1; shift
  /usr/bin/time -o "$work/time.out" -f "%e %U %S %M" "$@" >/dev/null 2>"$work/stderr.out" || {
    echo "$label failed:" >&2; tail -20 "$work/stderr.out" >&2; exit 1; }
  read -r wall user sys rss < <(tail -1 "$work/time.out")
  echo "$label $wall $(python3 -c "print(round($user+$sys,2))") $rss" | tee -a "$results"
}

BASE_KIB=1024 python3 bench/seed-registry.py images "$work/reg-src/storage" 50 4
start_registry src 5251
yaml="$work/skopeo.yaml"
{ echo "127.0.0.1:5251:"; echo "  tls-verify: false"; echo "  images:";
  for i in $(seq 0 49); do echo "    ns$((i % 10))/repo$i: []"; done; } > "$yaml"

for i in $(seq 1 "$runs"); do
  rm -rf "$work/reg-dst" "$CR_CACHE_DIR"; start_registry dst 5252
  measure sync-cr "$cr" sync -q 127.0.0.1:5251 127.0.0.1:5252/mirror
  measure resync-cr "$cr" sync -q 127.0.0.1:5251 127.0.0.1:5252/mirror
  stop_last
  rm -rf "$work/reg-dst"; start_registry dst 5252
  measure sync-skopeo skopeo sync --src yaml --dest docker --dest-tls-verify=false "$yaml" 127.0.0.1:5252/mirror
  measure resync-skopeo skopeo sync --src yaml --dest docker --dest-tls-verify=false "$yaml" 127.0.0.1:5252/mirror
  stop_last
done
echo "tags at the destination after cr: $("$cr" --registry 127.0.0.1:5251 image-list -q | wc -l) at the source" | tee "$work/notes.txt"

for n in 50 500; do
  rm -rf "$work/reg-many"; python3 bench/seed-registry.py images "$work/reg-many/storage" "$n" 1
  start_registry many 5253
  rm -rf "$work/reg-dst" "$CR_CACHE_DIR"; start_registry dst 5252
  measure "rss-$n-repos" "$cr" sync -q 127.0.0.1:5253 127.0.0.1:5252/many
  stop_last; stop_last
done

python3 - "$results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
med = {}
for r in rows:
    med.setdefault(r[0], []).append((float(r[1]), float(r[2]), int(r[3])))
m = {k: tuple(statistics.median(x[i] for x in v) for i in range(3)) for k, v in med.items()}
print(f"\n{'measure':16} {'wall s':>8} {'cpu s':>8} {'rss MiB':>8}")
for k, (w, c, r) in m.items():
    print(f"{k:16} {w:8.2f} {c:8.2f} {r/1024:8.1f}")
print(f"\nsync cr/skopeo wall: {m['sync-cr'][0] / m['sync-skopeo'][0]:.2f}")
print(f"repeated sync cr/skopeo wall: {m['resync-cr'][0] / m['resync-skopeo'][0]:.2f}")
print(f"peak RSS 500 vs 50 repositories: {m['rss-500-repos'][2] / m['rss-50-repos'][2]:.2f}")
PY
