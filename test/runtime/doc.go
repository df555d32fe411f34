// Package runtime holds tests that replay what container runtimes do with a published artifact when a
// Pod mounts it as an image volume (Kubernetes volumes[].image, KEP-4639), using the runtimes' own Go
// packages: containerd's transfer service, content store, unpacker and snapshotter, in-process.
//
// It is a module of its own so that the main module does not inherit containerd's dependency graph.
// Run it with `make test-runtime`; the mount needs root (CI runs as root), and without root the
// tests skip with the reason.
package runtime
