#!/usr/bin/env bash
# Install what cr's tests and quick start need on Debian, when missing:
# docker-registry (distribution 2.8), skopeo (the independent peer), openssl (test token issuer).
set -euo pipefail
need=()
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if ((${#need[@]})); then
  echo "installing: ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
# On a systemd machine the package starts its own service on :5000 with Debian's config
# (htpasswd auth): stop the one we just installed, so the quick start can run its own.
if [[ " ${need[*]:-} " == *" docker-registry "* ]] && command -v systemctl >/dev/null 2>&1 \
   && systemctl is-active --quiet docker-registry 2>/dev/null; then
  echo "stopping the docker-registry service the package started (Debian's default config)" >&2
  $sudo systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi
