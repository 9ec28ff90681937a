#!/usr/bin/env bash
# The test command: install the tools the tests need, then run every test (unit, integration
# against real docker-registry instances, skopeo as peer, completions).
set -euo pipefail
cd "$(dirname "$0")/.."
# The tools install while the tests build: on a fresh machine each takes minutes.
scripts/deps.sh &
deps=$!
built=0
cargo test --locked --no-run "$@" || built=$?
wait "$deps"
[ "$built" -eq 0 ] || exit "$built"
cargo test --locked "$@"
