#!/usr/bin/env bash
# Installs the system packages the tests need, when missing. Needs root (CI and
# the developer machines run as root); prints what it would install otherwise.
set -euo pipefail
export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "Go is required to build the test control plane (go 1.26+)" >&2; exit 1; }
command -v node >/dev/null || { echo "Node.js 20.19+ is required" >&2; exit 1; }
pkgs=()
# mmdebstrap, buildah and libcap2-bin (setcap) build the container image (npm run image); umoci and runc run it.
# zsh and fish run the completion scripts in the completion tests.
for p in openssl haproxy wrk nftables iproute2 curl tmux socat mmdebstrap buildah umoci runc libcap2-bin zsh fish; do
  dpkg -s "$p" >/dev/null 2>&1 || pkgs+=("$p")
done
if [ ${#pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "missing packages: ${pkgs[*]} (run as root or install them)" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
  echo "installed: ${pkgs[*]}"
else
  echo "all present"
fi
