package replicate

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/gitless-dev/gitless/pkg/registry"
)

// Options returns the registry options for s on top of base (timeouts, retries, user agent).
func (s Site) Options(base registry.Options) registry.Options {
	o := base
	o.PlainHTTP, o.CAFile, o.InsecureSkipTLSVerify = s.PlainHTTP, s.CAFile, s.InsecureSkipTLSVerify
	// credentials are never carried from one site to another: each uses its own file or the store
	o.Username, o.Password, o.CredentialHost = "", "", ""
	if s.CredentialsFile != "" {
		o.DockerConfig = s.CredentialsFile
	}
	return o
}

// zoneSite opens a zone's repositories, one client per repository, and learns once per zone whether
// the registry has the referrers API, so that no repository pays for the probe again.
type zoneSite struct {
	zone *Zone
	opts registry.Options

	mu      sync.Mutex
	repos   map[string]registry.Repository
	probed  bool
	capable bool
}

func newZoneSite(z *Zone, base registry.Options) *zoneSite {
	return &zoneSite{zone: z, opts: z.Options(base), repos: map[string]registry.Repository{}}
}

// open returns the zone's repository for a hub repository; subject is a digest to probe the referrers
// API with on the zone's first remote repository.
func (zs *zoneSite) open(ctx context.Context, repository string, subject ocispec.Descriptor) (registry.Repository, registry.Reference, error) {
	ref := zs.zone.Reference(repository)
	zs.mu.Lock()
	defer zs.mu.Unlock()
	if r, ok := zs.repos[repository]; ok {
		return r, ref, nil
	}
	repo, err := zs.opts.Open(ref)
	if err != nil {
		return nil, ref, err
	}
	if rr, ok := repo.(*remote.Repository); ok {
		if !zs.probed {
			zs.capable, zs.probed = zs.probe(ctx, rr, subject)
		}
		if zs.probed {
			_ = rr.SetReferrersCapability(zs.capable) // a fresh client: cannot be set already
		}
	}
	zs.repos[repository] = repo
	return repo, ref, nil
}

// probe asks the referrers API once, as oras-go would on each repository's first listing: an index
// means the API exists, a 404 that the referrers tag schema is used. Anything else leaves it to oras-go.
func (zs *zoneSite) probe(ctx context.Context, repo *remote.Repository, subject ocispec.Descriptor) (capable, known bool) {
	scheme := "https"
	if repo.PlainHTTP {
		scheme = "http"
	}
	url := scheme + "://" + repo.Reference.Host() + "/v2/" + repo.Reference.Repository + "/referrers/" + subject.Digest.String()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, false
	}
	req.Header.Set("Accept", ocispec.MediaTypeImageIndex)
	resp, err := repo.Client.Do(req)
	if err != nil {
		return false, false
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK && strings.HasPrefix(resp.Header.Get("Content-Type"), ocispec.MediaTypeImageIndex):
		return true, true
	case resp.StatusCode == http.StatusNotFound:
		// a registry with the API may answer 404 NAME_UNKNOWN for a repository that does not exist
		// yet; only a 404 that is not such an error says the route itself is missing
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		if strings.Contains(string(body), "NAME_UNKNOWN") {
			return false, false
		}
		return false, true
	}
	return false, false
}
