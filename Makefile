# gitless: make help lists the targets.
SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X github.com/gitless-dev/gitless/kubectl-gitless/cmd/options.Version=$(VERSION) -X github.com/gitless-dev/gitless/pkg/version.Version=$(VERSION)
GOFLAGS_BUILD := -trimpath -ldflags '$(LDFLAGS)'
# Packages whose tests run under the race detector; the rest run without it to keep CI within budget.
TEST_TIMEOUT ?= 25m

# make image: the sidecar image (internal/tools/imagebuild), pushed to $(REGISTRY)/argocd-cmp:$(VERSION)
# with its SBOM. IMAGE_BINS are the main packages put in /usr/local/bin; BASE is an image to build on
# (empty: the minimal base built here); IMAGE_PLATFORMS several make an index.
REGISTRY ?=
IMAGE ?= $(REGISTRY)/argocd-cmp:$(VERSION)
IMAGE_BINS ?= ./argocd-cmp ./gitless-render ./gitless-render-helm ./gitless-verify ./kubectl-gitless
IMAGE_PLATFORMS ?= linux/amd64 linux/arm64
BASE ?=
IMAGE_FLAGS ?=
# make dist: release archives into dist/, the krew manifest's uris under BASE_URL.
BASE_URL ?= https://github.com/gitless-dev/gitless/releases/download/$(VERSION)
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
space := $(empty) $(empty)
comma := ,

.PHONY: help build tools test e2e lint bench fuzz demo clean image dist e2e-zones test-runtime

help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-13s %s\n", $$1, $$2}'

build: ## build bin/kubectl-gitless, bin/argocd-cmp and the programs it starts (gitless-render, gitless-render-helm, gitless-verify)
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -o $(BIN)/ ./kubectl-gitless ./argocd-cmp ./gitless-render ./gitless-render-helm ./gitless-verify
	@cp scripts/kubectl_complete-gitless $(BIN)/

tools: ## install the peer CLIs (oras, helm, cosign, kustomize, registry) into bin/ at pinned versions
	bash scripts/install-tools.sh

test: tools ## unit, integration and peer-CLI interop tests (go test -race)
	GITLESS_PEERS=required GITLESS_BIN_DIR=$(BIN) $(GO) test -race -timeout $(TEST_TIMEOUT) ./...

e2e: build tools ## Argo CD's real cmp-server driving argocd-cmp (test/e2e, Go 1.27)
	GITLESS_PEERS=required GITLESS_BIN_DIR=$(BIN) bash test/e2e/run.sh

# containers/image and storage (CRI-O's libraries) built without C libraries: the tags their docs name.
RUNTIME_TAGS ?= containers_image_openpgp,exclude_graphdriver_btrfs

test-runtime: ## containerd's and CRI-O's libraries pull and mount published artifacts as image volumes, amd64/arm64 nodes (test/runtime, root)
	cd test/runtime && GITLESS_RUNTIME=required $(GO) test -count=1 -tags $(RUNTIME_TAGS) -timeout $${RUNTIME_TIMEOUT:-10m} ./...

e2e-zones: build ## two zones, each a kube-apiserver+etcd with a real Argo CD and the sidecar: sync, promotion, refusals, hub down, apps/pin
	bash scripts/install-tools.sh registry
	bash scripts/zones-build.sh
	cd test/e2e && GOTOOLCHAIN=go1.27.3 GITLESS_ZONES=required GITLESS_BIN_DIR=$(BIN) go test -count=1 -timeout $${E2E_ZONES_TIMEOUT:-40m} -v ./zones/

lint: ## go vet and gofmt
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)

bench: build tools ## benchmarks, and gitless against the peer CLIs on the same data
	$(GO) test -run '^$$' -bench . -benchmem ./pkg/...
	bash scripts/bench.sh

fuzz: ## run each fuzz target for FUZZTIME (default 60s)
	bash scripts/fuzz.sh $${FUZZTIME:-60s}

demo: build ## throwaway registries on 127.0.0.1: publish, inspect, pull, sign, replicate, render as Argo CD would
	bash scripts/demo.sh

image: ## build the sidecar image reproducibly and push it with its SBOM: make image REGISTRY=host/path [BASE=...]
	@test -n "$(REGISTRY)" || { echo 'make image: set REGISTRY, for example make image REGISTRY=ghcr.io/you (add IMAGE_FLAGS=-plain-http for a local registry)' >&2; exit 2; }
	SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) $(GO) run ./internal/tools/imagebuild -o .image \
	  -bin '$(subst $(space),$(comma),$(strip $(IMAGE_BINS)))' -platform '$(subst $(space),$(comma),$(strip $(IMAGE_PLATFORMS)))' \
	  -base '$(BASE)' -ldflags '$(LDFLAGS)' -version '$(VERSION)' -revision '$(shell git rev-parse HEAD 2>/dev/null)' \
	  -push '$(IMAGE)' $(IMAGE_FLAGS)

dist: ## release archives of kubectl-gitless (6 platforms), checksums and the krew manifest in dist/
	VERSION=$(VERSION) BASE_URL=$(BASE_URL) SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) bash scripts/dist.sh

clean: ## remove build output
	rm -rf $(BIN)/kubectl-gitless $(BIN)/argocd-cmp $(BIN)/gitless-render $(BIN)/gitless-render-helm $(BIN)/gitless-verify .demo .image dist
