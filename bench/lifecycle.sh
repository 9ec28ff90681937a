#!/usr/bin/env bash
# Benchmark the lifecycle commands on this machine, in one run:
#   bench/lifecycle.sh [RUNS]        (default 5)
# 1. cr tag-list and cr image-list -q on a 2,000-tag repository against skopeo list-tags, and
#    the manifest requests each sends (from the registry's access log);
# 2. cr image-list of 1,000 distinct images (200 repositories x 5 tags): the first listing
#    (empty content cache) against bench/list-client.py (16 threads doing the same GETs), and
#    the repeat listing (cache filled), with the requests each listing sends;
# 3. cr retention-run --images 2 over 200 repositories x 10 images: wall time and requests
#    per deleted image, then skopeo checks what remains.
# The registries' storage is seeded directly by bench/seed-registry.py. Medians of RUNS.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
scripts/deps.sh
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null; }
cargo build --release --locked -q
cr=$PWD/target/release/cr
work=${BENCH_DIR:-/tmp/cr-bench-lifecycle}
rm -rf "$work"; mkdir -p "$work"
export CR_CACHE_DIR=$work/cache
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# start_registry NAME PORT ACCESSLOG(true|false): a registry on NAME's storage
start_registry() {
  local d="$work/reg-$1"
  mkdir -p "$d"
  printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: %s\nstorage:\n  filesystem:\n    rootdirectory: %s/storage\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:%s\n' \
    "$([ "$3" = true ] && echo false || echo true)" "$d" "$2" > "$d/config.yml"
  docker-registry serve "$d/config.yml" > "$d/log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/$2) 2>/dev/null && return; sleep 0.05; done
  echo "registry $1 did not start" >&2; exit 1
}
# requests NAME PATTERN: access-log lines of NAME's registry matching PATTERN so far
requests() { grep -c "$2" "$work/reg-$1/log" || true; }

results="$work/results.txt"; : > "$results"
# measure LABEL CMD...: appends "LABEL wall cpu" to results
# (wall from the nanosecond clock: these commands take milliseconds)
measure() {
  local label=$1; shift
  local t0; t0=$(date +%s%N)
  /usr/bin/time -o "$work/time.out" -f "%U %S" "$@" >/dev/null 2>"$work/stderr.out" || {
    echo "$label failed:" >&2; cat "$work/stderr.out" >&2; exit 1; }
  local t1; t1=$(date +%s%N)
  read -r user sys < <(tail -1 "$work/time.out")
  echo "$label $(python3 -c "print(round(($t1-$t0)/1e9,4), round($user+$sys,2))")" | tee -a "$results"
}

echo "== 1. a repository with 2,000 tags" >&2
python3 bench/seed-registry.py tags "$work/reg-t/storage" big/repo 2000
start_registry t 5231 true
for i in $(seq 1 "$runs"); do
  measure tag-list-cr "$cr" tag-list 127.0.0.1:5231/big/repo
  measure tag-list-skopeo skopeo list-tags --tls-verify=false docker://127.0.0.1:5231/big/repo
  measure image-list-q-cr "$cr" --registry 127.0.0.1:5231 image-list -q --restrict big/repo
done
echo "tags listed: $("$cr" tag-list 127.0.0.1:5231/big/repo | wc -l)" | tee -a "$work/notes.txt"
echo "manifest requests during part 1 (all runs, cr and skopeo): $(requests t '/manifests/')" | tee -a "$work/notes.txt"

echo "== 2. 200 repositories x 5 tags, 1,000 distinct images" >&2
python3 bench/seed-registry.py images "$work/reg-l/storage" 200 5
start_registry l 5232 false
for i in $(seq 1 "$runs"); do
  rm -rf "$CR_CACHE_DIR"
  measure list-python python3 bench/list-client.py 127.0.0.1:5232
  measure list-cr-first "$cr" --registry 127.0.0.1:5232 image-list -o json
  measure list-cr-repeat "$cr" --registry 127.0.0.1:5232 image-list -o json
done
rm -rf "$CR_CACHE_DIR"
for pass in first repeat; do
  "$cr" --debug --registry 127.0.0.1:5232 image-list -o json 2>&1 >/dev/null \
    | grep -E '^> (GET|HEAD) ' | sed -E 's#http://[^/]+##; s#/v2/[^ ]*/(manifests|blobs|tags)/.*#\1#; s#/v2/_catalog.*#catalog#' \
    | sort | uniq -c | tr -s ' ' | paste -sd, | sed "s/^/requests of the $pass listing:/" | tee -a "$work/notes.txt"
done

echo "== 3. retention-run --images 2 over 200 repositories x 10 images" >&2
for i in $(seq 1 "$runs"); do
  rm -rf "$work/reg-r" "$CR_CACHE_DIR"
  python3 bench/seed-registry.py images "$work/reg-r/storage" 200 10 ret
  start_registry r 5233 true
  before=$(requests r 'HTTP/1.1')
  measure retention-cr "$cr" --registry 127.0.0.1:5233 retention-run --images 2 --force ret
  after=$(requests r 'HTTP/1.1')
  deletes=$(requests r '"DELETE ')
  echo "retention run $i: $((after - before)) requests, $deletes deletions, $(python3 -c "print(round(($after-$before)/max($deletes,1),2))") requests per deleted image" | tee -a "$work/notes.txt"
  left=$(skopeo list-tags --tls-verify=false docker://127.0.0.1:5233/ret/repo7 | python3 -c "import json,sys; print(' '.join(sorted(json.load(sys.stdin)['Tags'])))")
  echo "ret/repo7 keeps: $left" | tee -a "$work/notes.txt"
  kill "${pids[-1]}"; unset 'pids[-1]'; sleep 0.3
done

python3 - "$results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
med = {}
for r in rows:
    med.setdefault(r[0], []).append((float(r[1]), float(r[2])))
m = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in med.items()}
print(f"\n{'measure':18} {'wall s':>8} {'cpu s':>8}   (medians of {len(next(iter(med.values())))} runs)")
for k, (w, c) in m.items():
    print(f"{k:18} {w:8.3f} {c:8.2f}")
print()
print(f"tag-list / skopeo list-tags wall: {m['tag-list-cr'][0] / m['tag-list-skopeo'][0]:.2f}")
print(f"image-list -q / skopeo list-tags wall: {m['image-list-q-cr'][0] / m['tag-list-skopeo'][0]:.2f}")
print(f"first listing / python client wall: {m['list-cr-first'][0] / m['list-python'][0]:.2f}")
print(f"repeat / first listing wall: {m['list-cr-repeat'][0] / m['list-cr-first'][0]:.2f}")
PY
cat "$work/notes.txt"
