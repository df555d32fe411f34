package artifact

import "errors"

// Sentinel errors of publish's refusals.
var (
	// ErrDoesNotRender is returned when the content publish packed fails to render with the renderer
	// the sidecar uses: it would be published and fail only at sync.
	ErrDoesNotRender = errors.New("the content does not render")
	// ErrEmptyArtifact is returned when the content renders no objects and publish was not told that
	// empty is intended: an Application deploying it would prune every live object.
	ErrEmptyArtifact = errors.New("the content renders no objects")
	// ErrSignedTagMoved is returned when publishing without signing would move a tag off a digest
	// that carries signatures, leaving the tag unverifiable.
	ErrSignedTagMoved = errors.New("the tag points at a signed digest")
)

// ErrDirtyCheckout is returned when the files publish packed differ from the commit the checkout's
// HEAD names: the revision annotation would claim a tree that is not what was published.
var ErrDirtyCheckout = errors.New("the checkout has uncommitted changes in what is published")
