#!/usr/bin/env bash
# Build a small single-layer OCI image layout in DIR, tagged TAG, with no network and no Docker:
#   scripts/make-image.sh DIR [TAG] [SIZE_KIB]
# The layer holds /hello.txt and a file of SIZE_KIB KiB of random data (default 64).
set -euo pipefail
dir=${1:?usage: make-image.sh DIR [TAG] [SIZE_KIB]}
tag=${2:-latest}
kib=${3:-64}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dir/blobs/sha256" "$work/root"
echo "hello from cr $(date -u +%FT%TZ)" > "$work/root/hello.txt"
head -c $((kib * 1024)) /dev/urandom > "$work/root/data.bin"
tar -C "$work/root" --mtime='2024-01-01 00:00Z' --owner=0 --group=0 --numeric-owner -cf "$work/layer.tar" hello.txt data.bin
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -n -1 -c "$work/layer.tar" > "$work/layer.tar.gz"
layer=$(sha256sum "$work/layer.tar.gz" | cut -d' ' -f1)
layer_size=$(stat -c %s "$work/layer.tar.gz")
cp "$work/layer.tar.gz" "$dir/blobs/sha256/$layer"
created=$(date -u +%FT%TZ)
printf '{"architecture":"amd64","os":"linux","created":"%s","config":{"Cmd":["/hello.txt"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$created" "$diff_id" > "$work/config.json"
config=$(sha256sum "$work/config.json" | cut -d' ' -f1)
config_size=$(stat -c %s "$work/config.json")
cp "$work/config.json" "$dir/blobs/sha256/$config"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
  "$config" "$config_size" "$layer" "$layer_size" > "$work/manifest.json"
manifest=$(sha256sum "$work/manifest.json" | cut -d' ' -f1)
manifest_size=$(stat -c %s "$work/manifest.json")
cp "$work/manifest.json" "$dir/blobs/sha256/$manifest"
printf '{"imageLayoutVersion":"1.0.0"}' > "$dir/oci-layout"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
  "$manifest" "$manifest_size" "$tag" > "$dir/index.json"
echo "sha256:$manifest"
