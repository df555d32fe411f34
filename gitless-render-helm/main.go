// Command gitless-render-helm is the renderer process of argocd-cmp for Helm charts: gitless-render
// with the Helm SDK linked in (see package render, UseHelmRenderer). argocd-cmp starts it for every
// chart it renders, with the same request, environment, memory limit and deadline. It is not meant to
// be run by hand; install it beside argocd-cmp from the same release.
package main

import (
	"github.com/gitless-dev/gitless/pkg/render"
	_ "github.com/gitless-dev/gitless/pkg/render/helm" // Helm charts render in this binary
	"github.com/gitless-dev/gitless/pkg/version"
)

func main() {
	render.RendererMain("gitless-render-helm", "the Helm renderer process of argocd-cmp, started by it for each chart", version.Version)
}
