#!/usr/bin/env bash
# Builds the test control plane (test/cluster) once and caches the binary under
# ${VIPCTL_CACHE:-~/.cache/vipctl}/testcluster/<key>/testcluster, where <key> hashes
# go.mod, go.sum, the Go sources, the Go version and the build flags.
# Beside it, crds/standard and crds/experimental hold the Gateway API CRDs of the
# gateway-api module go.mod pins (the binary installs one channel at start-up).
# Prints the binary's path on stdout; build progress and timings go to stderr.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/test/cluster"
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly
kube=$(awk '$1=="k8s.io/kubernetes"{print $2; exit}' "$src/go.mod")
major=1; minor=$(echo "$kube" | cut -d. -f2)
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags="$ldflags -X $pkg.gitVersion=$kube -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
done
key=$( { cat "$src/go.mod" "$src/go.sum" "$src"/*.go; go version; echo "$ldflags"; } | sha256sum | cut -c1-16)
cache="${VIPCTL_CACHE:-$HOME/.cache/vipctl}/testcluster/$key"
bin="$cache/testcluster"
if [ -x "$bin" ] && [ -d "$cache/crds/experimental" ]; then
  echo "testcluster: cached ($key)" >&2
  echo "$bin"; exit 0
fi
mkdir -p "$cache"
echo "testcluster: building k8s.io/kubernetes $kube control plane (cold builds take 10-20 min on 2 cores)..." >&2
start=$(date +%s)
tmp="$cache/testcluster.tmp.$$"
(cd "$src" && go build -trimpath -ldflags "$ldflags" -o "$tmp" .)
# The Gateway API CRDs from the module go.mod pins (never a copy kept in this repository).
gwdir=$(cd "$src" && go list -m -f '{{.Dir}}' sigs.k8s.io/gateway-api)
for channel in standard experimental; do
  rm -rf "$cache/crds/$channel.tmp" && mkdir -p "$cache/crds/$channel.tmp"
  cp "$gwdir/config/crd/$channel/"*.yaml "$cache/crds/$channel.tmp/"
  chmod 0644 "$cache/crds/$channel.tmp/"*.yaml
  rm -rf "$cache/crds/$channel" && mv "$cache/crds/$channel.tmp" "$cache/crds/$channel"
done
mv "$tmp" "$bin"
echo "testcluster: built in $(( $(date +%s) - start ))s -> $bin" >&2
echo "$bin"
