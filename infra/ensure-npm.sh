#!/usr/bin/env bash
# Installs the npm packages (Node 24 among them) when node_modules is missing or older than
# package-lock.json, so `npm test` and `npm run demo` work on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.package-lock.json
if [ -f "$stamp" ] && [ ! package-lock.json -nt "$stamp" ] && [ -x node_modules/.bin/node ]; then
  exit 0
fi
# `npm install` rather than `npm ci`: the registry mirror here lacks optional platform packages
# (e.g. @swc/core-darwin-*), which `npm ci` insists on and `npm install` skips; versions come from
# package-lock.json either way.
echo "[opsflow] installing npm packages (about a minute)" >&2
npm install --no-audit --no-fund --loglevel=error
