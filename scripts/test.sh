#!/usr/bin/env bash
# The whole test suite, from a fresh clone on a fresh machine: installs what it
# needs (npm packages, system packages), builds the CLI and the test control
# plane (cached), then runs unit, CLI and integration tests. The integration
# tests start the control plane themselves and stop it at the end.
# The last line is "N passed, N failed" (printed by test/summary-reporter.cjs).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

step() { printf '\n==> %s\n' "$*"; }

step "system packages"
bash scripts/install-deps.sh

step "npm packages"
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.vipctl-lock; then
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.vipctl-lock
fi

step "build vipctl and typecheck the tests"
npm run -s build
npx tsc -p test --noEmit

step "build the test control plane (cached by its sources)"
bash scripts/testcluster-build.sh >/dev/null

step "build echo-basic, CoreDNS and the upstream conformance suite (cached by their modules and sources)"
bash scripts/lab-build.sh echo-basic >/dev/null
bash scripts/lab-build.sh coredns >/dev/null
bash scripts/lab-build.sh conformance >/dev/null

step "tests"
# Everything the tests write under the temp directory goes into one directory of
# this run, removed at the end (concurrent runs do not touch each other's files).
run_tmp="$(mktemp -d "${TMPDIR:-/tmp}/vipctl-run-XXXXXX")"
trap 'rm -rf "$run_tmp"' EXIT
TMPDIR="$run_tmp" npx mocha "$@"
