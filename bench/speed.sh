#!/usr/bin/env bash
# Every bench of the issue "Speed", one after the other in one run (about 15 minutes on 2 cores; root, for the
# network namespaces): start-up, sync at 1,000 and 10,000 Services, render at scale, traffic while scaling.
#   npm run bench:speed
set -euo pipefail
cd "$(dirname "$0")/.."
npm run -s build >/dev/null
echo "== bench/startup"; node bench/startup.mjs --runs 20
echo; echo "== bench/sync"; node --import tsx bench/sync.ts
echo; echo "== bench/haproxy (a) render"; node bench/haproxy.mjs --only a
echo; echo "== bench/scaling"; node --import tsx bench/scaling.ts --abrupt
