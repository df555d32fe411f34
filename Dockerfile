# syntax=docker/dockerfile:1
# The gitless sidecar image for argocd-repo-server: a static argocd-cmp and the programs it starts
# (its renderers gitless-render and gitless-render-helm, its verifier gitless-verify) on distroless.
# Argo CD's own argocd-cmp-server is not in this image: the sidecar's entrypoint is
# /var/run/argocd/argocd-cmp-server, copied into the shared `var-files` volume by Argo CD's init container.
#
#   docker build --build-arg VERSION=v0.1.0 -t ghcr.io/gitless-dev/argocd-cmp:v0.1.0 .

FROM golang:1.26 AS build
ARG VERSION=dev
WORKDIR /src
# Module downloads are cached as their own layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOTOOLCHAIN=local go build -trimpath \
      -ldflags "-s -w -X github.com/gitless-dev/gitless/pkg/version.Version=${VERSION}" \
      -o /out/ ./argocd-cmp ./gitless-render ./gitless-render-helm ./gitless-verify

FROM gcr.io/distroless/static:nonroot
# argocd-cmp starts its renderers (gitless-render; gitless-render-helm for charts) and, when its cache
# holds no acceptance, its verifier gitless-verify, from the directory it lives in.
COPY --from=build /out/argocd-cmp /usr/local/bin/argocd-cmp
COPY --from=build /out/gitless-render /usr/local/bin/gitless-render
COPY --from=build /out/gitless-render-helm /usr/local/bin/gitless-render-helm
COPY --from=build /out/gitless-verify /usr/local/bin/gitless-verify
# Argo CD requires the sidecar to run as user 999 (the argocd user that owns the shared volumes).
USER 999
ENTRYPOINT ["/usr/local/bin/argocd-cmp"]
