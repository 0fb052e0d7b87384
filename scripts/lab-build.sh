#!/usr/bin/env bash
# Builds a Go program of the conformance lab once, from the module that pins it (never a copy of its source), into
# ${VIPCTL_CACHE:-~/.cache/vipctl}/<what>/<key>/<what>, the key hashing the module's go.mod, go.sum, Go files and the
# Go version. Prints the binary's path on stdout; progress goes to stderr.
#   echo-basic    the conformance suite's backend (test/conformance/go.mod)
#   coredns       CoreDNS, which the suite's base manifests deploy (test/coredns/go.mod)
#   conformance   the Go test that runs the suite (test/conformance)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly
what="${1:?usage: lab-build.sh echo-basic|coredns|conformance}"
case "$what" in
  echo-basic) src="$root/test/conformance"; cmd=(go build -trimpath -ldflags "-s -w" -o OUT sigs.k8s.io/gateway-api/conformance/echo-basic) ;;
  coredns) src="$root/test/coredns"; cmd=(go build -trimpath -ldflags "-s -w" -o OUT github.com/coredns/coredns) ;;
  conformance) src="$root/test/conformance"; cmd=(go test -c -o OUT .) ;;
  *) echo "lab-build.sh: unknown program $what" >&2; exit 64 ;;
esac
key=$( { echo "$what"; cat "$src/go.mod" "$src/go.sum" "$src"/*.go; go version; } | sha256sum | cut -c1-16)
cache="${VIPCTL_CACHE:-$HOME/.cache/vipctl}/$what/$key"
bin="$cache/$what"
if [ -x "$bin" ]; then
  echo "$what: cached ($key)" >&2
  echo "$bin"; exit 0
fi
mkdir -p "$cache"
start=$(date +%s)
tmp="$bin.tmp.$$"
(cd "$src" && "${cmd[@]/OUT/$tmp}")
mv "$tmp" "$bin"
echo "$what: built in $(( $(date +%s) - start ))s -> $bin" >&2
echo "$bin"
