package cmp

import "errors"

var (
	// ErrLayoutRefused refuses an oci-layout:PATH reference in the sidecar (Pipeline.AllowLayouts).
	ErrLayoutRefused = errors.New("oci-layout references are not accepted here (they name files on the sidecar's host): " +
		"publish the artifact to a registry and name it as registry/repository:tag or @sha256:digest")
	// ErrMirrorBudget marks a mirror that used up its share of the sync; it is skipped for the rest
	// of the sync and the next source is tried.
	ErrMirrorBudget = errors.New("mirror over its time budget")
)
