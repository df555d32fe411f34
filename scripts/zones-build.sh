#!/usr/bin/env bash
# Builds the parts of the two-zone world (`make e2e-zones`) into bin/: Argo CD's multi-call binary
# (argocd-application-controller, argocd-repo-server, argocd-cmp-server), kube-apiserver and etcd at the
# versions pinned in test/e2e/go.mod's tool block, and copies Argo CD's CRDs and base ConfigMaps from the
# argo-cd module at that version to bin/argocd-manifests. Installs redis-server (Debian) when absent.
# Idempotent: a binary already built for its module version is kept. Times go to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$PWD/bin"
mkdir -p "$BIN"
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

if ! command -v redis-server >/dev/null; then
  echo "zones-build: installing redis-server (apt)" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
fi

cd test/e2e
export GOTOOLCHAIN=go1.27.3
build() { # name package module
  local name=$1 pkg=$2 mod=$3 stamp="$BIN/.$1.version" version start
  version="$mod@$(go list -m -f '{{.Version}}' "$mod")"
  if [ -x "$BIN/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then return 0; fi
  echo "zones-build: building $name from $version" >&2
  start=$(date +%s)
  go build -trimpath -ldflags '-s -w' -o "$BIN/$name.tmp" "$pkg"
  mv "$BIN/$name.tmp" "$BIN/$name"
  echo "$version" > "$stamp"
  echo "zones-build: $name built in $(( $(date +%s) - start ))s" >&2
}
build argocd github.com/argoproj/argo-cd/v3/cmd github.com/argoproj/argo-cd/v3
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes
build etcd go.etcd.io/etcd/server/v3 go.etcd.io/etcd/server/v3

argo=$(go list -m -f '{{.Dir}}' github.com/argoproj/argo-cd/v3)
rm -rf "$BIN/argocd-manifests"
mkdir -p "$BIN/argocd-manifests/crds" "$BIN/argocd-manifests/config"
cp "$argo"/manifests/crds/*-crd.yaml "$BIN/argocd-manifests/crds/"
cp "$argo"/manifests/base/config/argocd-{cm,cmd-params-cm,secret,rbac-cm}.yaml "$BIN/argocd-manifests/config/"
chmod -R u+w "$BIN/argocd-manifests"
