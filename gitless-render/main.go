// Command gitless-render is the renderer process of argocd-cmp for plain manifests and Kustomize:
// argocd-cmp starts it for every such render, with the render request on stdin, no environment, a
// memory limit and a deadline (see package render). It links neither the registry and signature code
// nor Helm (charts render in gitless-render-helm), so that each render pays the start-up of its
// renderer and no more. It is not meant to be run by hand; install it beside argocd-cmp from the
// same release.
package main

import (
	"github.com/gitless-dev/gitless/pkg/render"
	"github.com/gitless-dev/gitless/pkg/version"
)

func main() {
	render.RendererMain("gitless-render", "the renderer process of argocd-cmp, started by it for each render", version.Version)
}
