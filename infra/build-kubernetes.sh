#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kube-scheduler and kubectl from the Go module
# proxy (a wrapper module on k8s.io/kubernetes with every staging module pinned to its v0.x.y),
# then etcd 3.5 and kwok/kwokctl. Cached under $OPSFLOW_CACHE by version; a second run is instant.
source "$(dirname "$0")/lib.sh"
export GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local CGO_ENABLED=0

build_kubernetes() {
  local want=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
  local missing=0
  for b in "${want[@]}"; do [ -x "$K8S_BIN/$b" ] || missing=1; done
  if [ $missing = 0 ]; then say "kubernetes $KUBERNETES_VERSION: cached in $K8S_BIN"; return; fi
  say "kubernetes $KUBERNETES_VERSION: building ${want[*]} (about 10-20 minutes on 2 cores, once)"
  local work="$OPSFLOW_CACHE/build/kubernetes-$KUBERNETES_VERSION"
  mkdir -p "$work"
  local minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
  local patch="${KUBERNETES_VERSION##*.}"
  local staging="v0.$minor.$patch"
  local modfile
  modfile=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
  {
    echo "module opsflow.dev/build/kubernetes"
    echo
    grep '^go ' "$modfile"
    echo
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo
    echo "replace ("
    sed -n '/^replace (/,/^)/p' "$modfile" | grep '=> ./staging' | awk -v v="$staging" '{print "\t" $1 " => " $1 " " v}'
    echo ")"
  } > "$work/go.mod"
  cat > "$work/main.go" <<'GO'
package main

func main() {}
GO
  local pkgs=()
  for b in "${want[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  local getargs=()
  for p in "${pkgs[@]}"; do getargs+=("$p@$KUBERNETES_VERSION"); done
  (cd "$work" && with_progress "resolving kubernetes modules" go get "${getargs[@]}")
  local vpkg="k8s.io/component-base/version" cpkg="k8s.io/client-go/pkg/version" ld=""
  for p in $vpkg $cpkg; do
    ld+=" -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ld+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z -X $p.gitCommit=0000000000000000000000000000000000000000"
  done
  mkdir -p "$K8S_BIN.tmp"
  (cd "$work" && with_progress "compiling kubernetes" go build -trimpath -ldflags "-s -w $ld" -o "$K8S_BIN.tmp/" "${pkgs[@]}")
  rm -rf "$K8S_BIN" && mv "$K8S_BIN.tmp" "$K8S_BIN"
}

build_etcd() {
  if [ -x "$ETCD_BIN/etcd" ]; then say "etcd $ETCD_VERSION: cached in $ETCD_BIN"; return; fi
  say "etcd $ETCD_VERSION: building (a minute or two, once)"
  local work="$OPSFLOW_CACHE/build/etcd-$ETCD_VERSION"
  mkdir -p "$work"
  cat > "$work/go.mod" <<MOD
module opsflow.dev/build/etcd

go 1.23

require go.etcd.io/etcd/server/v3 $ETCD_VERSION

replace (
	go.etcd.io/etcd/api/v3 => go.etcd.io/etcd/api/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/pkg/v3 => go.etcd.io/etcd/client/pkg/v3 $ETCD_VERSION
	go.etcd.io/etcd/client/v2 => go.etcd.io/etcd/client/v2 v2.305.${ETCD_VERSION##*.}
	go.etcd.io/etcd/client/v3 => go.etcd.io/etcd/client/v3 $ETCD_VERSION
	go.etcd.io/etcd/pkg/v3 => go.etcd.io/etcd/pkg/v3 $ETCD_VERSION
	go.etcd.io/etcd/raft/v3 => go.etcd.io/etcd/raft/v3 $ETCD_VERSION
)
MOD
  printf 'package main\n\nfunc main() {}\n' > "$work/main.go"
  (cd "$work" && with_progress "resolving etcd modules" go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION")
  mkdir -p "$ETCD_BIN"
  (cd "$work" && with_progress "compiling etcd" go build -trimpath -ldflags "-s -w" -o "$ETCD_BIN/etcd" go.etcd.io/etcd/server/v3)
}

build_kwok() {
  if [ -x "$KWOK_BIN/kwokctl" ] && [ -x "$KWOK_BIN/kwok" ]; then say "kwok $KWOK_VERSION: cached in $KWOK_BIN"; return; fi
  say "kwok $KWOK_VERSION: building kwok and kwokctl (a few minutes, once)"
  mkdir -p "$KWOK_BIN"
  local ld="-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v} -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=$KUBERNETES_VERSION"
  GOBIN="$KWOK_BIN" with_progress "compiling kwok" go install -trimpath -ldflags "$ld" \
    "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION"
}

build_etcd
build_kwok
build_kubernetes
say "local Kubernetes binaries ready: $K8S_BIN, $ETCD_BIN, $KWOK_BIN"
