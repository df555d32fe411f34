#!/usr/bin/env bash
# Installs the peer CLIs the interop tests and `make bench` compare against, at pinned versions,
# into ./bin with `go install` (no prebuilt downloads). Idempotent: a tool already at its version is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$PWD/bin"
mkdir -p "$BIN"
export GOBIN="$BIN" GOFLAGS="${GOFLAGS:-} -buildvcs=false"

ORAS_VERSION=v1.3.6
HELM_VERSION=v3.22.0
COSIGN_VERSION=v2.6.5
COSIGN3_VERSION=v3.1.3
KUSTOMIZE_VERSION=v5.8.2
DISTRIBUTION_VERSION=v3.1.2
KREW_VERSION=v0.4.3
# kubectl for the krew test's plugin discovery: the one on PATH, else built from k8s.io/kubectl at this
# version (internal/tools/kubectl, its own module).
KUBECTL_VERSION=v0.37.2

install() { # name module@version [binary go install writes, when it differs from name]
  local name=$1 mod=$2 built=${3:-$1} stamp="$BIN/.$1.version"
  if [ -x "$BIN/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$mod" ]; then return 0; fi
  echo "installing $mod" >&2
  if [ "$built" = "$name" ]; then
    go install "$mod"
  else # another major version of a tool whose binary has the same name: build aside, then rename
    local tmp="$BIN/.build-$name"
    mkdir -p "$tmp"
    GOBIN="$tmp" go install "$mod"
    mv "$tmp/$built" "$BIN/$name"
    rmdir "$tmp"
  fi
  echo "$mod" > "$stamp"
}

install_kubectl() {
  if [ -x "$BIN/kubectl" ]; then return 0; fi
  local found; found=$(command -v kubectl || true)
  if [ -n "$found" ]; then ln -s "$found" "$BIN/kubectl"; return 0; fi
  echo "installing kubectl from k8s.io/kubectl@$KUBECTL_VERSION (internal/tools/kubectl)" >&2
  (cd internal/tools/kubectl && go build -o "$BIN/kubectl" .)
}

tools=${*:-oras helm cosign cosign3 kustomize registry krew kubectl}
for t in $tools; do
  case $t in
    oras) install oras oras.land/oras/cmd/oras@$ORAS_VERSION ;;
    helm) install helm helm.sh/helm/v3/cmd/helm@$HELM_VERSION ;;
    cosign) install cosign github.com/sigstore/cosign/v2/cmd/cosign@$COSIGN_VERSION ;;
    cosign3) install cosign3 github.com/sigstore/cosign/v3/cmd/cosign@$COSIGN3_VERSION cosign ;;
    kustomize) install kustomize sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION ;;
    registry) install registry github.com/distribution/distribution/v3/cmd/registry@$DISTRIBUTION_VERSION ;;
    krew) install krew sigs.k8s.io/krew/cmd/krew@$KREW_VERSION ;;
    kubectl) install_kubectl ;;
    *) echo "unknown tool $t" >&2; exit 2 ;;
  esac
done
