#!/usr/bin/env bash
# Quick start: a local registry on localhost:5000 (Debian's docker-registry, started here if
# nothing listens there), cr built, a small image pushed, listed, tagged, inspected and pulled.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
state=${XDG_STATE_HOME:-$HOME/.local/state}/cr-quickstart
mkdir -p "$state"
if ! (exec 3<>/dev/tcp/127.0.0.1/5000) 2>/dev/null; then
  cat > "$state/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $state/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:5000
YAML
  nohup docker-registry serve "$state/config.yml" > "$state/registry.log" 2>&1 &
  echo "started docker-registry on localhost:5000 (pid $!, log $state/registry.log)"
  for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/5000) 2>/dev/null && break; sleep 0.1; done
fi
# Something already listens on :5000: it must be a registry we can use without a login.
status=$(exec 3<>/dev/tcp/127.0.0.1/5000 && printf 'GET /v2/ HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3 && head -1 <&3 | cut -d' ' -f2)
if [ "$status" != 200 ]; then
  echo "localhost:5000 answers $status to /v2/: it is not an open registry." >&2
  echo "Stop it (Debian's service: sudo systemctl stop docker-registry) or log in with cr login localhost:5000, then run this again." >&2
  exit 1
fi
cargo build --release --locked
cr=target/release/cr
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
scripts/make-image.sh "$work/hello" v1 256 >/dev/null
set -x
$cr push "oci:$work/hello:v1" localhost:5000/demo/hello:v1
$cr image-list
$cr image-tag demo/hello:v1 demo/hello:stable
$cr image-tag demo/hello:v1 team/hello:v1
$cr image-digests
$cr namespace-list
$cr image-inspect demo/hello:stable --format '{{ .Id }} {{ .Os }}/{{ .Architecture }}'
$cr pull demo/hello:stable "oci:$work/pulled"
$cr pull demo/hello:stable "$work/hello.tar"
skopeo inspect --raw "oci:$work/pulled:stable" >/dev/null
$cr image-untag demo/hello:stable
$cr image-rm team/hello:v1
$cr image-list
