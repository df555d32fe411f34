// Package runtime holds tests that replay what container runtimes do with a published artifact when a
// Pod mounts it as an image volume (Kubernetes volumes[].image, KEP-4639), using the runtimes' own Go
// packages in-process: containerd's transfer service, content store, unpacker and snapshotter, and
// CRI-O's containers/image and containers/storage.
//
// It is a module of its own so that the main module does not inherit the runtimes' dependency graphs.
// Run it with `make test-runtime`, or go test -tags containers_image_openpgp,exclude_graphdriver_btrfs
// (containers/image and storage without their C libraries: without the tags the build stops at a
// missing btrfs header). Applying layers and mounting need root (CI runs as root); without root the
// tests skip.
package runtime
