#!/usr/bin/env bash
# Installs the npm packages (Node 24 among them) when node_modules is missing or older than
# package-lock.json, so `npm test` and `npm run demo` work on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.package-lock.json
if [ -f "$stamp" ] && [ ! package-lock.json -nt "$stamp" ] && [ -x node_modules/.bin/node ]; then
  exit 0
fi
echo "[opsflow] installing npm packages (npm ci, about a minute)" >&2
npm ci --no-audit --no-fund --loglevel=error
