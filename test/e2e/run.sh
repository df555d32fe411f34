#!/usr/bin/env bash
# Runs the e2e suite (`make e2e`): Argo CD's real cmp-server in-process, kustomize builds of manifests/.
# The module needs Go 1.27 (argo-cd v3.6); the go command fetches that toolchain from the module proxy
# on first use. argocd-cmp itself is built with the main module's own toolchain (GITLESS_GO).
#
#   test/e2e/run.sh [go test flags...]     e.g. test/e2e/run.sh -run Harness -v
set -euo pipefail
cd "$(dirname "$0")"

# The main module's go, found before GOTOOLCHAIN changes what `go` runs.
GITLESS_GO="$(cd ../.. && GOTOOLCHAIN=local go env GOROOT)/bin/go"
export GITLESS_GO
export GOTOOLCHAIN=go1.27.3

timeout="${E2E_TIMEOUT:-20m}"
start=$(date +%s)
go version   # fetches the toolchain on first use
echo "e2e: toolchain ready in $(( $(date +%s) - start ))s" >&2
go test -count=1 -timeout "$timeout" "$@" ./...
echo "e2e: done in $(( $(date +%s) - start ))s" >&2
