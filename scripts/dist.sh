#!/usr/bin/env bash
# make dist: release archives of kubectl-gitless, their checksums, and the krew manifest filled in.
#
#   scripts/dist.sh                       every platform of PLATFORMS into dist/
#   PLATFORMS=linux/amd64 scripts/dist.sh one platform (what the krew test builds)
#
# Each archive kubectl-gitless_<os>_<arch>.tar.gz holds kubectl-gitless (.exe on Windows), the completion
# helper kubectl_complete-gitless and LICENSE. The archives are reproducible: sorted entries, numeric
# owner 0, mtimes at SOURCE_DATE_EPOCH (default the last commit's time), gzip without a name or time.
# dist/gitless.yaml is krew/gitless.yaml with VERSION, the uri (BASE_URL/<archive>) and the sha256 of
# each archive built; platforms not built are left out.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
BASE_URL=${BASE_URL:-https://github.com/gitless-dev/gitless/releases/download/$VERSION}
PLATFORMS=${PLATFORMS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64}
DIST=${DIST:-dist}
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
LDFLAGS="-s -w -X github.com/gitless-dev/gitless/kubectl-gitless/cmd/options.Version=$VERSION -X github.com/gitless-dev/gitless/pkg/version.Version=$VERSION"

for f in LICENSE scripts/kubectl_complete-gitless krew/gitless.yaml; do
  [ -f "$f" ] || { echo "dist: $f is missing; it goes into every archive or the manifest" >&2; exit 1; }
done
rm -rf "$DIST"; mkdir -p "$DIST"
stage=$(mktemp -d); trap 'rm -rf "$stage"' EXIT

platforms_yaml=""
for p in $PLATFORMS; do
  os=${p%/*} arch=${p#*/} exe=kubectl-gitless
  [ "$os" = windows ] && exe=kubectl-gitless.exe
  name=kubectl-gitless_${os}_${arch}
  dir=$stage/$name; mkdir -p "$dir"
  echo "dist: building $name" >&2
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch GOFLAGS="${GOFLAGS:-} -buildvcs=false" \
    go build -trimpath -ldflags "$LDFLAGS" -o "$dir/$exe" ./kubectl-gitless
  install -m 0755 scripts/kubectl_complete-gitless "$dir/kubectl_complete-gitless"
  install -m 0644 LICENSE "$dir/LICENSE"
  tar -C "$dir" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
    --format=ustar -cf - "$exe" kubectl_complete-gitless LICENSE | gzip -n -9 > "$DIST/$name.tar.gz"
  sum=$(sha256sum "$DIST/$name.tar.gz" | cut -d' ' -f1)
  platforms_yaml+="  - selector:
      matchLabels: {os: $os, arch: $arch}
    uri: $BASE_URL/$name.tar.gz
    sha256: \"$sum\"
    bin: $exe
    files:
    - {from: $exe, to: .}
    - {from: kubectl_complete-gitless, to: .}
    - {from: LICENSE, to: .}
"
done
(cd "$DIST" && sha256sum -- *.tar.gz > checksums.txt)

# The manifest: everything of krew/gitless.yaml up to `platforms:`, with this version, then the
# platforms built.
sed -n '/^  platforms:/q;p' krew/gitless.yaml | sed "s/^  version: .*/  version: $VERSION/" > "$DIST/gitless.yaml"
printf '  platforms:\n%s' "$platforms_yaml" >> "$DIST/gitless.yaml"
echo "dist: $(ls "$DIST" | tr '\n' ' ')" >&2
