#!/usr/bin/env python3
"""The yardstick for cr image-list: a 16-thread Python client doing the GETs a full listing
needs, with keep-alive connections (one per thread): the catalog, each repository's tag list,
each tag's manifest, and each image's config blob.

    bench/list-client.py HOST:PORT        # prints the number of rows
"""
import http.client, json, sys, threading
from concurrent.futures import ThreadPoolExecutor

HOST = sys.argv[1]
ACCEPT = ", ".join([
    "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json"])
local = threading.local()


def get(path, headers=None, with_link=False):
    if not hasattr(local, "c"):
        local.c = http.client.HTTPConnection(HOST, timeout=30)
    local.c.request("GET", path, headers=headers or {})
    r = local.c.getresponse()
    body = r.read()
    if r.status != 200:
        raise SystemExit(f"GET {path}: {r.status}")
    if with_link:
        link = r.getheader("Link") or ""
        return body, (link[1:link.index(">")] if link.startswith("<") else None)
    return body


def catalog():
    repos, path = [], "/v2/_catalog?n=1000"
    while path:
        body, path = get(path, with_link=True)
        repos += json.loads(body)["repositories"]
    return repos


def tags(repo):
    return [(repo, t) for t in json.loads(get(f"/v2/{repo}/tags/list"))["tags"] or []]


def row(rt):
    repo, t = rt
    m = json.loads(get(f"/v2/{repo}/manifests/{t}", {"Accept": ACCEPT}))
    c = json.loads(get(f"/v2/{repo}/blobs/{m['config']['digest']}"))
    return repo, t, c.get("created")


def main():
    repos = catalog()
    with ThreadPoolExecutor(16) as ex:
        pairs = [p for ps in ex.map(tags, repos) for p in ps]
        rows = list(ex.map(row, pairs))
    print(len(rows))


if __name__ == "__main__":
    main()
