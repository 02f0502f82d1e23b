# Shared helpers for the infra scripts: pinned versions, the cache folder, progress output.
set -euo pipefail
INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$INFRA_DIR/.." && pwd)"
# shellcheck source=versions.env
source "$INFRA_DIR/versions.env"
# Slow downloads and builds are cached outside the repo, keyed by version.
OPSFLOW_CACHE="${OPSFLOW_CACHE:-$HOME/.cache/opsflow}"
# Runtime state (cluster dirs, Temporal's SQLite file, pid files) of the local stack.
OPSFLOW_STATE="${OPSFLOW_STATE:-$OPSFLOW_CACHE/state}"
K8S_BIN="$OPSFLOW_CACHE/kubernetes-$KUBERNETES_VERSION/bin"
ETCD_BIN="$OPSFLOW_CACHE/etcd-$ETCD_VERSION/bin"
KWOK_BIN="$OPSFLOW_CACHE/kwok-$KWOK_VERSION/bin"
HELM_BIN="$OPSFLOW_CACHE/helm-$HELM_VERSION/bin"
TEMPORAL_VENV="$OPSFLOW_CACHE/temporal-cli-$TEMPORAL_CLI_VERSION-ts-$TEMPORAL_TEST_SERVER_VERSION"
mkdir -p "$OPSFLOW_CACHE" "$OPSFLOW_STATE"

say() { printf '\033[1m[opsflow]\033[0m %s\n' "$*" >&2; }
die() { printf '[opsflow] error: %s\n' "$*" >&2; exit 1; }

# Runs a long command, printing a heartbeat line every 30 s so a slow build shows progress.
with_progress() {
  local label="$1"; shift
  local start=$SECONDS next=$((SECONDS + 30))
  "$@" &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 2
    if (( SECONDS >= next )) && kill -0 "$pid" 2>/dev/null; then
      say "$label: still working ($((SECONDS - start)) s)"
      next=$((SECONDS + 30))
    fi
  done
  wait "$pid"
  say "$label: done in $((SECONDS - start)) s"
}
