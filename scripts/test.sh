#!/usr/bin/env bash
# The test command: install the tools the tests need, then run every test (unit, integration
# against real docker-registry instances, skopeo as peer, completions).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cargo test --locked "$@"
