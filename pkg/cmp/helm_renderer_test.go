package cmp_test

// Helm charts render in the tests as in kubectl-gitless and gitless-render, which import this.
import _ "github.com/gitless-dev/gitless/pkg/render/helm"
