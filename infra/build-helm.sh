#!/usr/bin/env bash
# Builds the `helm` CLI from the Go module proxy (helm.sh/helm/v4/cmd/helm at HELM_VERSION, with
# the version stamped the way Helm's own Makefile does). Cached under $OPSFLOW_CACHE by version.
source "$(dirname "$0")/lib.sh"
export GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local CGO_ENABLED=0
if [ -x "$HELM_BIN/helm" ]; then say "helm $HELM_VERSION: cached in $HELM_BIN"; exit 0; fi
say "helm $HELM_VERSION: building (a few minutes, once)"
mkdir -p "$HELM_BIN.tmp"
ld="-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
GOBIN="$HELM_BIN.tmp" with_progress "compiling helm" go install -trimpath -ldflags "$ld" "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
"$HELM_BIN.tmp/helm" version --short >/dev/null
rm -rf "$HELM_BIN" && mv "$HELM_BIN.tmp" "$HELM_BIN"
say "helm ready: $HELM_BIN/helm ($("$HELM_BIN/helm" version --short))"
