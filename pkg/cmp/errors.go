package cmp

import "errors"

// Sentinel errors of the pipeline's own refusals; transport, signature and render failures keep the
// sentinels of their packages.
var (
	// ErrParameter is returned for a plugin parameter argocd-cmp does not know, or one given with a
	// type (string, array, map) it does not take.
	ErrParameter = errors.New("invalid plugin parameter")
	// ErrEmptyRender is returned when an artifact renders no objects and the policy does not say
	// that empty is intended: Argo CD would prune every live object of the Application.
	ErrEmptyRender = errors.New("the artifact renders no objects")
)
