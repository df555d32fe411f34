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
storage: {filesystem: {rootdirectory: $DEMO/$1-data}}
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

export COSIGN_PASSWORD=demo
step "a cosign key pair (the same files cosign generate-key-pair writes)"
kg generate-key-pair --output-key-prefix "$DEMO/keys/cosign"

step "provenance: the example repository (a git checkout whose origin is git.example.com, branch main)"
SRC=$DEMO/source # the Kustomize example as its own repository, so the demo controls source and ref
cp -R examples/kustomize "$SRC"
gitd() { GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=demo GIT_AUTHOR_EMAIL=demo@example.com \
  GIT_COMMITTER_NAME=demo GIT_COMMITTER_EMAIL=demo@example.com git -C "$SRC" "$@"; }
gitd init -q -b main && gitd add . && gitd commit -q -m "guestbook configuration"
gitd remote add origin https://git.example.com/platform/guestbook.git
echo "# uncommitted" >> "$SRC/base/service.yaml"
set +e; kg publish "$SRC/overlays/zone-a" "$HUB/platform/guestbook:1.4.0" --plain-http --images=record -q; echo "exit code: $? (a dirty checkout is refused)"; set -e
gitd checkout -q -- base/service.yaml

step "publish the Kustomize overlay (its ../../base travels with it) to the hub, signed, with its SLSA provenance"
REF=$(kg publish "$SRC/overlays/zone-a" "$HUB/platform/guestbook:1.4.0,latest" --plain-http --images=record --sign --key "$DEMO/keys/cosign.key" -q \
  --builder-id https://ci.example.com/demo | head -n1)
echo "$REF"

step "publish the Helm chart and the plain manifests, signed"
kg publish examples/helm/guestbook "$HUB/charts/guestbook" --plain-http --images=record --sign --key "$DEMO/keys/cosign.key"
kg publish examples/plain "$HUB/platform/plain:1.0.0" --plain-http --images=record --sign --key "$DEMO/keys/cosign.key"
kg publish examples/plain "$HUB/platform/unsigned:1.0.0" --plain-http --images=record

step "inspect and list"
kg inspect "$HUB/platform/guestbook:1.4.0" --plain-http
kg list "$HUB/platform/guestbook" --plain-http

step "verify (exit codes like cosign's: 0 verified, 10 unsigned, 12 invalid)"
kg verify "$HUB/platform/guestbook:1.4.0" --plain-http --key "$DEMO/keys/cosign.pub"
set +e; kg verify "$HUB/platform/unsigned:1.0.0" --plain-http --key "$DEMO/keys/cosign.pub"; echo "exit code: $?"; set -e

step "pull it back (digest checked before extraction)"
kg pull "$REF" "$DEMO/pulled" --plain-http
find "$DEMO/pulled" -type f | sort

step "replicate hub -> zone with signatures (the zone registry has no referrers API: tag schema)"
for repo in platform/guestbook:1.4.0 charts/guestbook:0.1.0 platform/plain:1.0.0; do
  kg copy "$HUB/$repo" "$ZONE/${repo%%:*}" --plain-http
done

step "render as Argo CD would: argocd-cmp generate, zone mirror first, hub as fallback"
cat > "$DEMO/config.yaml" <<YAML
apiVersion: gitless.dev/v1alpha1
kind: Config
registries:
  - host: $HUB
    plainHTTP: true
    mirrors: [{host: $ZONE, plainHTTP: true}]
policies:
  - match: "$HUB/platform/guestbook"   # provenance required: built from git.example.com/platform/*, branch main
    keys: [$DEMO/keys]
    provenance:
      sourceRepositories: ["https://git.example.com/platform/*"]
      refs: [refs/heads/main]
  - match: "$HUB/**"
    keys: [$DEMO/keys]
YAML
sidecar() { env GITLESS_CONFIG="$DEMO/config.yaml" GITLESS_CACHE_DIR="$DEMO/cache" ARGOCD_APP_NAME=guestbook \
  ARGOCD_APP_NAMESPACE=apps KUBE_VERSION=1.31.0 "$@" argocd-cmp generate 2>"$DEMO/sidecar.log"; }
sidecar ARGOCD_ENV_GITLESS_REF="$HUB/platform/guestbook:1.4.0" | tee "$DEMO/rendered.yaml"
echo "--- sidecar log:"; cat "$DEMO/sidecar.log"

step "the same through an Argo CD OCI source (repoURL oci://..., revision = digest Argo CD resolved)"
sidecar ARGOCD_APP_SOURCE_REPO_URL="oci://$HUB/charts/guestbook" ARGOCD_APP_REVISION="$(kg list "$HUB/charts/guestbook" --plain-http -o json | sed -n 's/.*"digest": "\(sha256:[0-9a-f]*\)".*/\1/p' | head -n1)" | head -n 20

step "kubectl gitless render gives the same bytes as the sidecar"
kg render "$HUB/platform/guestbook:1.4.0" --plain-http --policy "$DEMO/config.yaml" --release guestbook --namespace apps --kube-version 1.31.0 > "$DEMO/preview.yaml"
cmp "$DEMO/rendered.yaml" "$DEMO/preview.yaml" && echo "identical: $(wc -l < "$DEMO/preview.yaml") lines"

step "an unsigned artifact is refused: empty stdout, non-zero exit"
set +e
out=$(sidecar ARGOCD_ENV_GITLESS_REF="$HUB/platform/unsigned:1.0.0"); code=$?
set -e
echo "exit code: $code, stdout bytes: ${#out}"; tail -n1 "$DEMO/sidecar.log"
[ "$code" -ne 0 ] && [ -z "$out" ]
step "provenance: a signed artifact from another source is refused for platform/guestbook"
kg publish examples/plain "$HUB/platform/guestbook:rogue" --plain-http --images=record --sign --key "$DEMO/keys/cosign.key" -q \
  --source https://git.example.com/elsewhere/tools --source-ref refs/heads/main >/dev/null
set +e
out=$(sidecar ARGOCD_ENV_GITLESS_REF="$HUB/platform/guestbook:rogue"); code=$?
set -e
echo "exit code: $code, stdout bytes: ${#out}"; tail -n1 "$DEMO/sidecar.log"
[ "$code" -ne 0 ] && [ -z "$out" ]
kg verify "$HUB/platform/guestbook:1.4.0" --plain-http --policy "$DEMO/config.yaml"

# --- the sidecar image (issue 12): its own step, independent of the ones above but for the key pair.
step "the sidecar image: built without Docker (same commit, same digest), pushed to the hub with its SBOM, signed, verified"
IMAGE_REF=$(SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 0) go run ./internal/tools/imagebuild \
  -o "$DEMO/image" -platform linux/amd64 -push "$HUB/gitless/argocd-cmp:demo" -plain-http)
echo "$IMAGE_REF"
kg sign "$HUB/gitless/argocd-cmp:demo" --plain-http --key "$DEMO/keys/cosign.key"
kg verify "$HUB/gitless/argocd-cmp:demo" --plain-http --key "$DEMO/keys/cosign.pub"
kg inspect "$IMAGE_REF" --plain-http | grep -i -e spdx -e referrer || true

# --- images travel with the configuration (issue 8)
step "images: two-platform images in the hub, signed; an app that names them, published with its images locked"
go run ./internal/tools/demoimage -plain-http "$HUB/library/web:1.0" "$HUB/library/tools:2.1"
for img in library/web:1.0 library/tools:2.1; do kg sign "$HUB/$img" --plain-http --key "$DEMO/keys/cosign.key" >/dev/null 2>&1; done
WEB=$(mktemp -d) # outside any git checkout: no revision to record
cat > "$WEB/app.yaml" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: apps}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      initContainers: [{name: init, image: "$HUB/library/tools:2.1"}]
      containers: [{name: web, image: "$HUB/library/web:1.0"}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: apps}
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: report, image: "$HUB/library/tools:2.1"}]
YAML
kg publish "$WEB" "$HUB/apps/web:1.0.0" --plain-http --sign --key "$DEMO/keys/cosign.key" -q
rm -rf "$WEB"
kg inspect "$HUB/apps/web:1.0.0" --plain-http | sed -n '/Images lock/,/^$/p'

step "copy the app to the zone with its images (under $ZONE/mirror, signatures included); a re-run writes nothing"
kg copy "$HUB/apps/web:1.0.0" "$ZONE/apps/web" --plain-http --images "$ZONE/mirror"
kg copy "$HUB/apps/web:1.0.0" "$ZONE/apps/web" --plain-http --images "$ZONE/mirror"

step "the zone's sidecar renders it with every locked image pointing at the zone's copy, pinned by digest"
{ cat "$DEMO/config.yaml"; printf 'images: {mirror: %s/mirror, plainHTTP: true}\n' "$ZONE"; } > "$DEMO/config-zone.yaml"
env GITLESS_CONFIG="$DEMO/config-zone.yaml" GITLESS_CACHE_DIR="$DEMO/cache" ARGOCD_APP_NAME=web ARGOCD_APP_NAMESPACE=apps \
  ARGOCD_ENV_GITLESS_REF="$HUB/apps/web:1.0.0" argocd-cmp generate 2>"$DEMO/sidecar.log" > "$DEMO/web.yaml"
grep 'image:' "$DEMO/web.yaml"
! grep -q "image: .*$HUB/" "$DEMO/web.yaml" # nothing points at the hub any more
kg render "$HUB/apps/web:1.0.0" --plain-http --policy "$DEMO/config-zone.yaml" --check-images >/dev/null && echo "every locked image is at the zone's mirror"

# --- operating many zones (issue 9)
source scripts/demo-zones.sh

step "done"
