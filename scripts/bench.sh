#!/usr/bin/env bash
# make bench (second half): kubectl-gitless against the peer CLIs on the same data, in one run, on
# 127.0.0.1. Prints the median wall time of RUNS runs of each and the ratio gitless/peer (below 1 = faster),
# then the sidecar's figures of issue 13: argocd-cmp generate warm and cold against the peers, registry
# requests per generate, writes of a repeated copy, and peak memory.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/bin
export PATH="$BIN:$PATH" COSIGN_PASSWORD=bench DOCKER_CONFIG
RUNS=${RUNS:-5}
W=$(mktemp -d)
DOCKER_CONFIG=$W/docker
mkdir -p "$DOCKER_CONFIG"
REG_PID= REG2_PID= Z1_PID= Z2_PID=
trap 'kill $REG_PID $REG2_PID $Z1_PID $Z2_PID 2>/dev/null || true; rm -rf "$W"' EXIT

PORT=${GITLESS_BENCH_PORT:-5811}
HOST=127.0.0.1:$PORT
printf 'version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: %s}, delete: {enabled: true}}\nhttp: {addr: %s}\n' "$W/data" "$HOST" > "$W/reg.yml"
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
TIMEFORMAT='%R %U %S'
time_runs() { # prints the median wall and CPU (user+sys, children included) milliseconds of RUNS runs of "$@"
  local f
  f=$(mktemp -p "$W")
  for _ in $(seq "$RUNS"); do { time "$@" >/dev/null 2>&1; } 2>>"$f"; done
  echo "$(awk '{print int($1 * 1000)}' "$f" | median) $(awk '{print int(($2 + $3) * 1000)}' "$f" | median)"
}
row() { # name "gitless-wall gitless-cpu" "peer-wall peer-cpu" peer-name
  # CPU time is the figure to compare on a busy machine: wall time there measures the other load
  awk -v n="$1" -v g="$2" -v p="$3" -v pn="$4" 'BEGIN {split(g, a, " "); split(p, b, " ");
    if (a[2] > 0 && b[2] > 0) printf "%-34s gitless %6d ms (cpu %5d)   %-16s %6d ms (cpu %5d)   ratio %.2f (cpu %.2f)\n", n, a[1], a[2], pn, b[1], b[2], a[1]/b[1], a[2]/b[2];
    else printf "%-34s gitless %6d ms              %-16s %6d ms              ratio %.2f\n", n, a[1], pn, b[1], a[1]/b[1]}'
}

echo "bench: $RUNS runs each, median wall and CPU time; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)" >&2
# push against push: publish renders the content first by default, which oras push does not do
g=$(time_runs kubectl-gitless publish "$W/tree/app" "$HOST/bench/g:1" --plain-http -q --skip-render-check --images=off)
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

# images (issue 8): 20 multi-platform images (3 platforms; a shared 1 MiB base layer and 256 KiB of
# their own per platform), each signed by cosign in both forms, locked in a published artifact; copy
# the artifact and its images to 2 zones (CNCF Distribution: referrers tag schema) with copy --images,
# against the equivalent loop of `oras cp -r` (each image, its legacy .sig tag, the artifact; per zone).
# Every run copies into fresh repositories. Then a re-run's requests per image per zone (access logs).
N_IMAGES=${N_IMAGES:-20}
zone_up() { # port logfile -> starts a Distribution zone with access logs, prints its pid
  printf 'version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s}, delete: {enabled: true}}\nhttp: {addr: 127.0.0.1:%s}\n' "$W/z$1" "$1" > "$W/z$1.yml"
  registry serve "$W/z$1.yml" >"$2" 2>&1 &
  echo $!
}
Z1=127.0.0.1:$((PORT + 1)); Z2=127.0.0.1:$((PORT + 2))
Z1_PID=$(zone_up $((PORT + 1)) "$W/z1.log"); Z2_PID=$(zone_up $((PORT + 2)) "$W/z2.log")
for h in "$Z1" "$Z2"; do for _ in $(seq 50); do curl -fsS "http://$h/v2/" >/dev/null 2>&1 && break; sleep 0.1; done; done
head -c 1048576 /dev/urandom > "$W/base.bin"
lock='{"version":1,"images":['
for i in $(seq 1 "$N_IMAGES"); do
  img=$HOST/bench/img$i
  for p in linux/amd64 linux/arm64 linux/s390x; do
    head -c 262144 /dev/urandom > "$W/own.bin"
    (cd "$W" && oras push --plain-http --artifact-platform "$p" "$img:${p//\//-}" base.bin own.bin >/dev/null)
  done
  oras manifest index create --plain-http "$img:1.0" linux-amd64 linux-arm64 linux-s390x >/dev/null
  d=$(oras resolve --plain-http "$img:1.0")
  cosign sign --key "$W/cosign.key" --tlog-upload=false -y --allow-http-registry --allow-insecure-registry "$img@$d" >/dev/null 2>&1
  cosign sign --key "$W/cosign.key" --tlog-upload=false -y --allow-http-registry --allow-insecure-registry --new-bundle-format "$img@$d" >/dev/null 2>&1
  [ "$i" -gt 1 ] && lock+=','
  lock+="{\"ref\":\"$img:1.0\",\"name\":\"$img\",\"tag\":\"1.0\",\"digest\":\"$d\"}"
done
lock+=']}'
kubectl-gitless publish examples/plain "$HOST/bench/cfg:1" --plain-http -q --skip-render-check --images=off -a "dev.gitless.images.lock=$lock" >/dev/null
RUN=0
gitless_copy() {
  RUN=$((RUN + 1))
  kubectl-gitless copy "$HOST/bench/cfg:1" "$Z1/g$RUN/cfg" "$Z2/g$RUN/cfg" --images "$Z1/g$RUN/mirror" --images "$Z2/g$RUN/mirror" --plain-http
}
oras_loop() {
  RUN=$((RUN + 1))
  for z in "$Z1" "$Z2"; do
    for i in $(seq 1 "$N_IMAGES"); do
      d=$(oras resolve --plain-http "$HOST/bench/img$i:1.0")
      oras cp -r --from-plain-http --to-plain-http "$HOST/bench/img$i:1.0" "$z/o$RUN/img$i:1.0"
      oras cp --from-plain-http --to-plain-http "$HOST/bench/img$i:${d/:/-}.sig" "$z/o$RUN/img$i:${d/:/-}.sig"
    done
    oras cp -r --from-plain-http --to-plain-http "$HOST/bench/cfg:1" "$z/o$RUN/cfg:1"
  done
}
g=$(time_runs gitless_copy)
p=$(time_runs oras_loop)
row "copy $N_IMAGES signed images, 2 zones" "$g" "$p" "oras cp -r loop"
# the re-run: the last gitless run's repositories again; requests counted from the zones' access logs
requests() { grep -c '"\(GET\|HEAD\|PUT\|POST\|PATCH\|DELETE\) /v2/' "$W/z1.log" "$W/z2.log" | awk -F: '{s+=$2} END {print s}'; }
writes() { grep -c '"\(PUT\|POST\|PATCH\|DELETE\) /v2/' "$W/z1.log" "$W/z2.log" | awk -F: '{s+=$2} END {print s}'; }
RUN=100; gitless_copy >/dev/null 2>&1 # time_runs ran in subshells: copy once more into g101
r0=$(requests); w0=$(writes)
RUN=100; gitless_copy >/dev/null 2>&1
r1=$(requests); w1=$(writes)
awk -v r=$((r1 - r0)) -v w=$((w1 - w0)) -v n="$N_IMAGES" 'BEGIN {printf "%-34s %.2f requests per image per zone (artifact included), %d writes\n", "copy re-run, nothing new", r/n/2, w}'

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

# ---- the sidecar (argocd-cmp generate as Argo CD runs it) ------------------------------------------
# A second registry with its access log on counts requests: one log line per request. Its own port:
# the zones above still hold PORT+1 and PORT+2.
HOST2=127.0.0.1:$((PORT + 3))
printf 'version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s}, delete: {enabled: true}}\nhttp: {addr: %s}\n' "$W/data2" "$HOST2" > "$W/reg2.yml"
registry serve "$W/reg2.yml" >"$W/reg2.log" 2>&1 &
REG2_PID=$!
for _ in $(seq 50); do curl -fsS "http://$HOST2/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
log_mark() { wc -l < "$W/reg2.log"; }
requests_since() { # mark [method-regexp]: requests logged after mark
  tail -n +"$(( $1 + 1 ))" "$W/reg2.log" | grep -cE "\"(${2:-GET|HEAD|PUT|POST|PATCH|DELETE}) /v2/." || true
}

mkdir -p "$W/keys" && cp "$W/cosign.pub" "$W/keys/"
cat > "$W/config.yaml" <<YAML
apiVersion: gitless.dev/v1alpha1
kind: Config
registries:
  - host: $HOST2
    plainHTTP: true
policies:
  - match: "$HOST2/**"
    keys: [$W/keys]
YAML
publish_signed() { # dir ref: prints repo@digest; signs the legacy form, which cosign verify reads offline
  local d
  d=$(kubectl-gitless publish "$1" "$2" --plain-http -q --images=off | head -n1)
  kubectl-gitless sign "$2" --plain-http --key "$W/cosign.key" --signature-format legacy >/dev/null 2>&1
  echo "$d"
}
KREF=$HOST2/platform/app:1.0.0
KDIG=$(publish_signed examples/kustomize/overlays/zone-a "$KREF")
HREF=$HOST2/charts/guestbook:0.1.0
HDIG=$(publish_signed examples/helm/guestbook "$HREF")
generate() { # cache-dir ref [env...]: argocd-cmp generate as the cmp-server runs it
  local cache=$1 ref=$2; shift 2
  env GITLESS_CONFIG="$W/config.yaml" GITLESS_CACHE_DIR="$cache" ARGOCD_APP_NAME=gb ARGOCD_APP_NAMESPACE=apps \
    ARGOCD_ENV_GITLESS_REF="$ref" "$@" argocd-cmp generate
}
generate "$W/cache" "$KDIG" >/dev/null 2>"$W/gen.err" || { echo "bench: argocd-cmp generate failed: $(cat "$W/gen.err")" >&2; exit 1; }
generate "$W/cache" "$HDIG" >/dev/null 2>&1

g=$(time_runs generate "$W/cache" "$KDIG")
p=$(time_runs kustomize build examples/kustomize/overlays/zone-a)
row "generate warm: Kustomize overlay" "$g" "$p" "kustomize build"
g=$(time_runs generate "$W/cache" "$HDIG")
p=$(time_runs helm template gb examples/helm/guestbook --namespace apps --include-crds)
row "generate warm: Helm chart" "$g" "$p" "helm template"
# start-up alone: what every generate pays before any work (argocd-cmp links no renderer and no
# signature library; gitless-render, gitless-render-helm and gitless-verify are started as needed)
g=$(time_runs argocd-cmp version)
p=$(time_runs kustomize version)
row "start-up: argocd-cmp version" "$g" "$p" "kustomize version"

# cold: an empty cache each run, by tag; the script users write today does the same four steps
n=0
cold() { n=$((n + 1)); generate "$W/cold$n" "$KREF"; }
script() { # oras fetch + untar + cosign verify + kustomize build
  rm -rf "$W/s" && mkdir -p "$W/s"
  layer=$(oras manifest fetch --plain-http "$KREF" | sed -n 's/.*"layers":\[{[^}]*"digest":"\(sha256:[0-9a-f]*\)".*/\1/p')
  oras blob fetch --plain-http --output - "$HOST2/platform/app@$layer" | tar -xz -C "$W/s"
  cosign verify --key "$W/cosign.pub" --insecure-ignore-tlog=true --allow-http-registry "$KREF" >/dev/null
  kustomize build "$W/s/overlays/zone-a"
}
script >/dev/null 2>"$W/script.err" || { echo "bench: the peer script failed: $(cat "$W/script.err")" >&2; exit 1; }
g=$(time_runs cold)
p=$(time_runs script)
row "generate cold (by tag)" "$g" "$p" "oras+cosign+kust"

m=$(log_mark); generate "$W/cold-count" "$KREF" >/dev/null 2>&1; cold_tag=$(requests_since "$m")
m=$(log_mark); generate "$W/cold-count" "$KREF" >/dev/null 2>&1; warm_tag=$(requests_since "$m")
m=$(log_mark); generate "$W/cold-count" "$KDIG" >/dev/null 2>&1; warm_digest=$(requests_since "$m")
echo "registry requests per generate: cold by tag $cold_tag / warm by tag $warm_tag / warm by digest $warm_digest (Distribution: no referrers API, so the tag fallback adds one)"

kubectl-gitless copy "$KREF" "$HOST2/zone/app" --plain-http >/dev/null 2>&1
m=$(log_mark); kubectl-gitless copy "$KREF" "$HOST2/zone/app" --plain-http >/dev/null 2>&1
echo "copy run again with nothing new: $(requests_since "$m" 'PUT|POST|PATCH|DELETE') writes, $(requests_since "$m") requests"

# memory: peak RSS (GNU time: the largest of the process and the children it waited for)
peak() {
  if /usr/bin/time -f '%M' -o "$W/rss" "$@" >/dev/null 2>"$W/peak.err"; then echo $(( $(tail -n1 "$W/rss") / 1024 ));
  else echo "(failed: $(tail -n1 "$W/peak.err"))"; fi
}
printf '#!/bin/sh\nexec env GITLESS_CONFIG=%s GITLESS_CACHE_DIR="$1" ARGOCD_APP_NAME=gb ARGOCD_APP_NAMESPACE=apps ARGOCD_ENV_GITLESS_REF="$2" argocd-cmp generate\n' \
  "$W/config.yaml" > "$W/gen" && chmod +x "$W/gen"
mkdir -p "$W/big"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n' > "$W/big/cm.yaml"
head -c 50000000 /dev/urandom > "$W/big/a.bin"; head -c 50000000 /dev/urandom > "$W/big/b.bin"
kubectl-gitless publish "$W/big" "$HOST2/platform/big:1" --plain-http -q --skip-render-check --images=off >/dev/null
kubectl-gitless sign "$HOST2/platform/big:1" --plain-http --key "$W/cosign.key" --signature-format legacy >/dev/null 2>&1
echo "peak RSS, generate of a 100 MB artifact (cold): $(peak "$W/gen" "$W/cache-big" "$HOST2/platform/big:1") MB"

mkdir -p "$W/tree5k/app"
for d in $(seq 1 100); do
  mkdir -p "$W/tree5k/app/d$d"
  for f in $(seq 1 50); do
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%s-%s\ndata:\n  n: "%s"\n' "$d" "$f" "$RANDOM" > "$W/tree5k/app/d$d/cm$f.yaml"
  done
done
g=$(time_runs kubectl-gitless publish "$W/tree5k/app" "$HOST/bench/g5k:1" --plain-http -q --skip-render-check --images=off)
p=$(cd "$W/tree5k" && time_runs oras push --plain-http "$HOST/bench/o5k:1" app)
row "push 5,000 files" "$g" "$p" "oras push"
gr=$(peak kubectl-gitless publish "$W/tree5k/app" "$HOST/bench/g5k:2" --plain-http -q --skip-render-check --images=off)
pr=$(cd "$W/tree5k" && peak oras push --plain-http "$HOST/bench/o5k:2" app)
echo "peak RSS, push 5,000 files: gitless $gr MB, oras push $pr MB"
