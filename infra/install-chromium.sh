#!/usr/bin/env bash
# Debian's headless chromium, for the Web UI screenshot test (test/e2e/helm-install.test.ts).
# Installed with apt-get when it is missing and this runs as root (a fresh CI machine); otherwise
# says how (OPSFLOW_CHROMIUM points the test at another binary).
source "$(dirname "$0")/lib.sh"
bin="${OPSFLOW_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$bin" ]; then
  say "chromium: $bin"
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  say "chromium: installing Debian's chromium with apt-get (about 30 s)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }
  [ -x /usr/bin/chromium ] && { say "chromium: /usr/bin/chromium"; exit 0; }
fi
say "chromium: not installed; the Web UI screenshot test needs it: apt-get install -y chromium (or set OPSFLOW_CHROMIUM)"
