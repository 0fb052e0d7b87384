#!/usr/bin/env bash
# Builds echo-basic, the Gateway API conformance suite's backend program, from the module test/conformance/go.mod
# pins (never a copy of its source), once, into ${VIPCTL_CACHE:-~/.cache/vipctl}/echo-basic/<key>/echo-basic.
# Prints the binary's path on stdout; progress goes to stderr.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/test/conformance"
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly
key=$( { cat "$src/go.mod" "$src/go.sum"; go version; } | sha256sum | cut -c1-16)
cache="${VIPCTL_CACHE:-$HOME/.cache/vipctl}/echo-basic/$key"
bin="$cache/echo-basic"
if [ -x "$bin" ]; then
  echo "echo-basic: cached ($key)" >&2
  echo "$bin"; exit 0
fi
mkdir -p "$cache"
start=$(date +%s)
(cd "$src" && go build -trimpath -ldflags "-s -w" -o "$bin.tmp.$$" sigs.k8s.io/gateway-api/conformance/echo-basic)
mv "$bin.tmp.$$" "$bin"
echo "echo-basic: built in $(( $(date +%s) - start ))s -> $bin" >&2
echo "$bin"
