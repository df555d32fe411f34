// Package e2e holds gitless's slow end-to-end suites: Argo CD's real cmp-server (argo-cd/v3) in-process
// driving the argocd-cmp plugin as argocd-repo-server does, and `kustomize build` checks of manifests/.
// It is its own module so that the main module does not inherit Argo CD's dependency graph; it needs
// Go 1.27 (run.sh sets GOTOOLCHAIN).
package e2e
