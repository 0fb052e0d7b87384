#!/usr/bin/env bash
# Starts the test control plane in the foreground (building it if needed), so a
# person can point vipctl (and kubectl) at it. Ctrl-C stops it and removes its files.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
bin=$(bash scripts/testcluster-build.sh)
echo "starting the control plane (kube-apiserver, etcd, EndpointSlice controller)..." >&2
exec "$bin" "$@" 2> >(grep -v '^I' >&2) | while IFS= read -r line; do
  echo "$line"
  kc=$(printf '%s' "$line" | sed -n 's/.*"kubeconfig":"\([^"]*\)".*/\1/p')
  if [ -n "$kc" ]; then
    cat >&2 <<MSG

ready. In another terminal:
  export KUBECONFIG=$kc
  vipctl inspect services -A          # or: node bin/run.js inspect services -A
  (context testcluster-viewer is an unprivileged user, for RBAC errors)
Ctrl-C stops it.
MSG
  fi
done
