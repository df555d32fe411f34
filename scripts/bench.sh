#!/usr/bin/env bash
# make bench (second half): kubectl-gitless against the peer CLIs on the same data, in one run, on
# 127.0.0.1. Prints the median wall time of RUNS runs of each and the ratio gitless/peer (below 1 = faster).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/bin
export PATH="$BIN:$PATH" COSIGN_PASSWORD=bench DOCKER_CONFIG
RUNS=${RUNS:-5}
W=$(mktemp -d)
DOCKER_CONFIG=$W/docker
mkdir -p "$DOCKER_CONFIG"
trap 'kill $REG_PID 2>/dev/null || true; rm -rf "$W"' EXIT

PORT=${GITLESS_BENCH_PORT:-5811}
HOST=127.0.0.1:$PORT
printf 'version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: %s}\n' "$W/data" "$HOST" > "$W/reg.yml"
registry serve "$W/reg.yml" >/dev/null 2>&1 &
REG_PID=$!
for _ in $(seq 50); do curl -fsS "http://$HOST/v2/" >/dev/null 2>&1 && break; sleep 0.1; done

# data: 2,000 ConfigMaps in 40 directories (about 2 MB), the example overlay and chart
mkdir -p "$W/tree/app"
for d in $(seq 1 40); do
  mkdir -p "$W/tree/app/d$d"
  for f in $(seq 1 50); do
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%s-%s\ndata:\n  payload: "%s"\n' "$d" "$f" "$(head -c 600 /dev/urandom | base64 -w0)" > "$W/tree/app/d$d/cm$f.yaml"
  done
done
cosign generate-key-pair --output-key-prefix "$W/cosign" >/dev/null 2>&1

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_runs() { # prints the median milliseconds of RUNS runs of "$@"
  for _ in $(seq "$RUNS"); do
    s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000000 ))
  done | median
}
row() { # name gitless-ms peer-ms peer-name
  awk -v n="$1" -v g="$2" -v p="$3" -v pn="$4" 'BEGIN {printf "%-34s gitless %6d ms   %-16s %6d ms   ratio %.2f\n", n, g, pn, p, g/p}'
}

echo "bench: $RUNS runs each, median wall time; $(nproc) cores" >&2
# push against push: publish renders the content first by default, which oras push does not do
g=$(time_runs kubectl-gitless publish "$W/tree/app" "$HOST/bench/g:1" --plain-http -q --skip-render-check)
p=$(cd "$W/tree" && time_runs oras push --plain-http "$HOST/bench/o:1" app)
row "push 2,000 files" "$g" "$p" "oras push"

rm_pull() { rm -rf "$W/out"; "$@"; }
g=$(time_runs rm_pull kubectl-gitless pull "$HOST/bench/g:1" "$W/out" --plain-http -q)
p=$(time_runs rm_pull oras pull --plain-http "$HOST/bench/o:1" -o "$W/out")
row "pull + extract 2,000 files" "$g" "$p" "oras pull"

g=$(time_runs kubectl-gitless render examples/kustomize/overlays/zone-a)
p=$(time_runs kustomize build examples/kustomize/overlays/zone-a)
row "render Kustomize overlay" "$g" "$p" "kustomize build"

g=$(time_runs kubectl-gitless render "$W/tree/app")
p=$(cd "$W/tree/app" && printf 'resources:\n' > "$W/k.yaml" && find . -name '*.yaml' | sort | sed 's/^/- /' >> "$W/k.yaml" && cp "$W/k.yaml" kustomization.yaml && time_runs kustomize build . ; rm -f kustomization.yaml)
row "render 2,000 plain files" "$g" "$p" "kustomize build"

g=$(time_runs kubectl-gitless render examples/helm/guestbook --release gb --namespace apps)
p=$(time_runs helm template gb examples/helm/guestbook --namespace apps --include-crds)
row "render Helm chart" "$g" "$p" "helm template"

kubectl-gitless sign "$HOST/bench/g:1" --plain-http --key "$W/cosign.key" --signature-format legacy >/dev/null 2>&1
g=$(time_runs kubectl-gitless verify "$HOST/bench/g:1" --plain-http --key "$W/cosign.pub")
p=$(time_runs cosign verify --key "$W/cosign.pub" --insecure-ignore-tlog=true --allow-http-registry "$HOST/bench/g:1")
row "verify legacy signature" "$g" "$p" "cosign verify"

# replicate (issue 9): 50 signed artifacts to 2 zones (path prefixes on the same registry, so both tools
# pay the same registry) against a loop of `oras cp -r` over the same set; each run copies into fresh
# zones, and the re-run (nothing new) is timed too.
mkdir -p "$W/one" && printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\n' > "$W/one/cm.yaml"
for i in $(seq 1 50); do
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\ndata: {i: "%s"}\n' "$i" > "$W/one/cm.yaml"
  kubectl-gitless publish "$W/one" "$HOST/bench/rep/app$((i % 5)):1.$i.0" --plain-http -q --skip-render-check --sign --key "$W/cosign.key" >/dev/null 2>&1
done
zones_file() { # prefix-a prefix-b
  printf 'apiVersion: gitless.dev/v1alpha1\nkind: Replication\nhub: {registry: "%s", plainHTTP: true}\nzones:\n- {name: a, registry: "%s", plainHTTP: true, pathPrefix: %s}\n- {name: b, registry: "%s", plainHTTP: true, pathPrefix: %s}\nrules:\n- {repositories: ["bench/rep/**"]}\n' "$HOST" "$HOST" "$1" "$HOST" "$2" > "$W/zones.yaml"
}
oras_loop() { # prefix-a prefix-b
  for r in $(seq 0 4); do
    for t in $(oras repo tags --plain-http "$HOST/bench/rep/app$r" | grep -v '^sha256-'); do
      for z in "$1" "$2"; do
        oras cp -r --from-plain-http --to-plain-http "$HOST/bench/rep/app$r:$t" "$HOST/$z/bench/rep/app$r:$t" >/dev/null
      done
    done
  done
}
gs=() ps=() rs=()
for run in $(seq "$RUNS"); do
  zones_file "g$run-a" "g$run-b"
  s=$(date +%s%N); kubectl-gitless replicate -f "$W/zones.yaml" >/dev/null 2>&1; e=$(date +%s%N); gs+=($(( (e - s) / 1000000 )))
  s=$(date +%s%N); kubectl-gitless replicate -f "$W/zones.yaml" >/dev/null 2>&1; e=$(date +%s%N); rs+=($(( (e - s) / 1000000 )))
  s=$(date +%s%N); oras_loop "o$run-a" "o$run-b"; e=$(date +%s%N); ps+=($(( (e - s) / 1000000 )))
done
g=$(printf '%s\n' "${gs[@]}" | median); p=$(printf '%s\n' "${ps[@]}" | median); r=$(printf '%s\n' "${rs[@]}" | median)
row "replicate 50 signed x 2 zones" "$g" "$p" "oras cp -r loop"
echo "replicate re-run (nothing new)       gitless $r ms (request counts: go test -bench Replicate ./pkg/replicate)"
