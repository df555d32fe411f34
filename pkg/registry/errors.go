package registry

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// Sentinel errors. Classify maps transport errors onto them so that callers and users can tell a
// missing tag from a refused login from an unreachable registry.
var (
	// ErrInvalidReference is returned for a reference that cannot be parsed.
	ErrInvalidReference = errors.New("invalid reference")
	// ErrNotFound is returned when a tag, digest or repository does not exist.
	ErrNotFound = errors.New("not found")
	// ErrUnauthorized is returned when the registry refuses the credentials (401/403).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrUnreachable is returned when the registry cannot be reached (DNS, connection, TLS, timeout)
	// or is down behind a load balancer (a connection closed or reset without a response, or a
	// 502/503/504 that outlasted the retries).
	ErrUnreachable = errors.New("registry unreachable")
	// ErrUnsupportedMediaType is returned for a manifest or layer this tool does not read.
	ErrUnsupportedMediaType = errors.New("unsupported media type")
	// ErrDigestMismatch is returned when fetched bytes do not match their descriptor.
	ErrDigestMismatch = errors.New("content does not match its digest")
)

// Hints are the next steps Classify appends, worded for where the user fixes things: CLIHints name
// kubectl-gitless flags, ConfigHints the keys of a registries entry in the sidecar's config.
type Hints struct {
	Login, NotFound, Unreachable, TLS, ServerFailing string
}

// CLIHints name the command-line flags; they are the default.
var CLIHints = Hints{
	Login:         "log in with `docker login`, `oras login` or --username/--password-stdin",
	NotFound:      "check the tag with `kubectl gitless list`",
	Unreachable:   "check the address, --plain-http for an HTTP registry, or the network",
	TLS:           "use --ca-file for a private CA, --plain-http for an HTTP registry",
	ServerFailing: "the registry kept failing after retries: try again later or raise --retries",
}

// ConfigHints name the sidecar's configuration (the registries entry of the host), for argocd-cmp,
// whose users cannot pass flags.
var ConfigHints = Hints{
	Login:         "give the registries entry for the host a credentialsFile (Docker config.json), or mount the credentials Secret at DOCKER_CONFIG",
	NotFound:      "check the Application's targetRevision or ref parameter with `kubectl gitless list`",
	Unreachable:   "check the host and the network; set plainHTTP: true in the registries entry for an HTTP registry",
	TLS:           "set caFile in the registries entry for a private CA, or plainHTTP: true for an HTTP registry",
	ServerFailing: "the registry kept failing after retries: try again later",
}

// hints are the Hints Classify uses; SetHints changes them once, at program start.
var hints = CLIHints

// SetHints makes Classify word its next steps with h. Call it once from main, before any request.
func SetHints(h Hints) { hints = h }

// Classify wraps err with the sentinel that describes it, and a hint of what to do next.
// Errors already carrying a sentinel are returned unchanged.
func Classify(err error, what string) error {
	if err == nil {
		return nil
	}
	for _, s := range []error{ErrInvalidReference, ErrNotFound, ErrUnauthorized, ErrUnreachable,
		ErrUnsupportedMediaType, ErrDigestMismatch} {
		if errors.Is(err, s) {
			return err
		}
	}
	var down *downError
	if errors.As(err, &down) {
		return fmt.Errorf("%w: %s: %v (%s)", ErrUnreachable, what, err, downHint)
	}
	var resp *errcode.ErrorResponse
	if errors.As(err, &resp) {
		switch resp.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("%w: %s: %v (%s)", ErrUnauthorized, what, err, hints.Login)
		case http.StatusNotFound:
			return fmt.Errorf("%w: %s: %v (%s)", ErrNotFound, what, err, notFoundHint(what))
		}
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			return fmt.Errorf("%s: %w (%s)", what, err, hints.ServerFailing)
		}
	}
	if errors.Is(err, auth.ErrBasicCredentialNotFound) {
		// a 401 with a basic challenge and no credentials for the host: oras-go does not retry it
		return fmt.Errorf("%w: %s: %v (%s)", ErrUnauthorized, what, err, hints.Login)
	}
	if errors.Is(err, errdef.ErrNotFound) {
		return fmt.Errorf("%w: %s (%s)", ErrNotFound, what, notFoundHint(what))
	}
	if errors.Is(err, errdef.ErrUnsupported) {
		return fmt.Errorf("%w: %s: %v", ErrUnsupportedMediaType, what, err)
	}
	var netErr net.Error
	var opErr *net.OpError
	if errors.As(err, &opErr) || (errors.As(err, &netErr) && netErr.Timeout()) {
		return fmt.Errorf("%w: %s: %v (%s)", ErrUnreachable, what, err, hints.Unreachable)
	}
	if isTLSError(err) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		return fmt.Errorf("%w: %s: %v (%s)", ErrUnreachable, what, err, hints.TLS)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// notFoundHint says what to check for a missing manifest: the digest when what names one, else the tag.
func notFoundHint(what string) string {
	if strings.Contains(what, "@sha256:") || strings.Contains(what, "@sha512:") {
		return "no manifest with this digest here: check the digest, or copy the artifact to this repository"
	}
	return hints.NotFound
}
