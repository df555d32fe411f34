// Package zones starts a two-zone world of real components on 127.0.0.1 and drives it: a hub
// registry and one registry per zone (CNCF Distribution processes), and per zone an etcd, a
// kube-apiserver, a redis-server, Argo CD's argocd-repo-server and argocd-application-controller, and
// the gitless sidecar (Argo CD's argocd-cmp-server with manifests/sidecar/plugin.yaml and bin/argocd-cmp)
// reached by the repo-server through the plugin socket directory, as the sidecar install connects them.
// No kubelet runs: Argo CD applies objects to the API servers and Pods never start.
//
// The binaries come from bin/ (scripts/zones-build.sh builds them from the versions pinned in
// test/e2e/go.mod's tool block); Argo CD's CRDs and argocd-cm/argocd-cmd-params-cm/argocd-secret come
// from the argo-cd module at that version (copied to bin/argocd-manifests by the same script).
//
// `make e2e-zones` runs the scenarios (zones_test.go); `go run ./zones/cmd/world` starts the world for a
// look around until Ctrl-C.
package zones
