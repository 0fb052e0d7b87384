#!/usr/bin/env bash
# Regenerates go.mod's replace block for the k8s.io staging modules.
# k8s.io/kubernetes requires every staging module at v0.0.0 and relies on local
# replaces, which Go ignores in dependencies; so we read its own go.mod and pin
# each staging module to the matching v0.X.Y tag. Never edit the block by hand.
# Usage: test/cluster/gen-replace.sh [KUBE_VERSION]   (default: v1.36.3)
set -euo pipefail
cd "$(dirname "$0")"
kube="${1:-v1.36.3}"
minor="${kube#v1.}"            # 36.3
staging="v0.${minor}"          # v0.36.3
etcd="${ETCD_VERSION:-v3.6.8}"  # the version k8s.io/apiserver pins for this release
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0
gomod=$(go mod download -json "k8s.io/kubernetes@${kube}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
[ -n "$gomod" ] || { echo "could not download k8s.io/kubernetes@${kube}" >&2; exit 1; }
# Drop old replaces, then add one per staging module listed at v0.0.0.
go mod edit -json | sed -n 's/.*"Path": "\(k8s.io\/[^"]*\)".*/\1/p' | sort -u >/dev/null
for m in $(go mod edit -json | awk '/"Replace"/{r=1} r && /"Old"/{getline; if ($0 ~ /Path/) {gsub(/.*"Path": "|".*/,""); print}}'); do
  go mod edit -dropreplace="$m"
done
for m in $(awk '$2=="v0.0.0" && $1 ~ /^k8s.io\// {print $1}' "$gomod" | sort -u); do
  go mod edit -replace="${m}=${m}@${staging}"
done
go get "k8s.io/kubernetes@${kube}" "go.etcd.io/etcd/server/v3@${etcd}"
go mod tidy
echo "go.mod pinned to k8s.io/kubernetes ${kube}, staging ${staging}, etcd ${etcd}"
