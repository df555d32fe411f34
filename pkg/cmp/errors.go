package cmp

import "errors"

// Sentinel errors of the pipeline's own refusals; transport, signature and render failures keep the
// sentinels of their packages.
var (
	// ErrLayoutRefused refuses an oci-layout:PATH reference in the sidecar (Pipeline.AllowLayouts).
	ErrLayoutRefused = errors.New("oci-layout references are not accepted here (they name files on the sidecar's host): " +
		"publish the artifact to a registry and name it as registry/repository:tag or @sha256:digest")
	// ErrMirrorBudget marks a mirror that used up its share of the sync; it is skipped for the rest
	// of the sync and the next source is tried.
	ErrMirrorBudget = errors.New("mirror over its time budget")
	// ErrParameter is returned for a plugin parameter argocd-cmp does not know, or one given with a
	// type (string, array, map) it does not take.
	ErrParameter = errors.New("invalid plugin parameter")
	// ErrEmptyRender is returned when an artifact renders no objects and the policy does not say
	// that empty is intended: Argo CD would prune every live object of the Application.
	ErrEmptyRender = errors.New("the artifact renders no objects")
	// ErrImageNotLocked is returned, under a policy's requireLockedImages, for a rendered image that
	// the artifact's verified images lock does not pin by digest, and for a lock that cannot be read.
	ErrImageNotLocked = errors.New("image not pinned by the artifact's signed images lock")
	// ErrNoVerifier is returned when a binary can verify no signature: it neither imports package
	// cmp/verify nor sets Pipeline.Verifier.
	ErrNoVerifier = errors.New("signature verification is not built into this binary (import package cmp/verify, or set Pipeline.Verifier)")
)
