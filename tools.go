//go:build tools

// Package tools pins the libraries that the packages under construction use, so go mod tidy keeps them.
package tools

import (
	_ "github.com/schollz/progressbar/v3"
	_ "github.com/sigstore/cosign/v2/pkg/cosign"
	_ "github.com/spf13/cobra"
	_ "helm.sh/helm/v3/pkg/action"
	_ "k8s.io/cli-runtime/pkg/genericclioptions"
	_ "oras.land/oras-go/v2"
	_ "sigs.k8s.io/kustomize/api/krusty"
)
