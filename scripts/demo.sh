#!/usr/bin/env bash
# make demo: the whole Gitless GitOps flow on this machine, with nothing but 127.0.0.1.
# Two throwaway CNCF Distribution registries stand for the hub and a zone mirror.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/bin
export PATH="$BIN:$PATH"
bash scripts/install-tools.sh registry >/dev/null

DEMO=$ROOT/.demo
rm -rf "$DEMO"; mkdir -p "$DEMO"
HUB_PORT=${GITLESS_DEMO_HUB_PORT:-5801}
ZONE_PORT=${GITLESS_DEMO_ZONE_PORT:-5802}
HUB=127.0.0.1:$HUB_PORT
ZONE=127.0.0.1:$ZONE_PORT
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

start_registry() { # name port
  cat > "$DEMO/$1.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $DEMO/$1-data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$2}
YAML
  registry serve "$DEMO/$1.yml" >"$DEMO/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do curl -fsS "http://127.0.0.1:$2/v2/" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "registry $1 did not start; see $DEMO/$1.log" >&2; exit 1
}
step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

start_registry hub "$HUB_PORT"
start_registry zone "$ZONE_PORT"
kg() { kubectl-gitless "$@"; }

step "publish the Kustomize overlay (its ../../base travels with it) to the hub"
REF=$(kg publish examples/kustomize/overlays/zone-a "$HUB/platform/guestbook:1.4.0,latest" --plain-http)
echo "$REF"

step "publish the Helm chart and the plain manifests"
kg publish examples/helm/guestbook "$HUB/charts/guestbook" --plain-http
kg publish examples/plain "$HUB/platform/plain:1.0.0" --plain-http

step "inspect and list"
kg inspect "$HUB/platform/guestbook:1.4.0" --plain-http
kg list "$HUB/platform/guestbook" --plain-http

step "pull it back (digest checked before extraction)"
kg pull "$REF" "$DEMO/pulled" --plain-http
find "$DEMO/pulled" -type f | sort

step "done"
