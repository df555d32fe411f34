// Package replicate operates many zones from the registry side: it replicates the artifacts a rule set
// selects from a hub to zone registries and oci-layout directories (Run), reports which digest each zone
// serves for each tag and whether the hub's signatures are there and verify (Status), and promotes a
// release by adding a tag to an existing digest, signed or not (Promote).
//
// Zones are untrusted caches of the hub: nothing a zone says is believed without a digest or a
// signature. Replication goes through pkg/artifact's Copy (content first, referrers and legacy
// signature tags next, tags last, nothing sent twice), so a re-run with nothing new only reads.
package replicate

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/gitless-dev/gitless/pkg/config"
	k8sjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/gitless-dev/gitless/pkg/registry"
)

// APIVersion and Kind identify a zones file.
const (
	APIVersion = "gitless.dev/v1alpha1"
	Kind       = "Replication"
)

// ErrInvalid marks a zones file that cannot be used; the message says which field and what to write.
var ErrInvalid = errors.New("invalid zones file")

// Spec is a zones file: the hub, the zones, and what to replicate.
type Spec struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Hub        Site   `json:"hub"`
	Zones      []Zone `json:"zones"`
	Rules      []Rule `json:"rules"`
	// Images asks for the images each selected artifact's images lock names to be copied too, before
	// the artifact, with pkg/imagecopy (as copy --images does): under each zone's Images prefix, or
	// into the repository's own layout at an oci-layout zone.
	Images bool `json:"images,omitempty"`
	// Concurrency bounds the zones handled at once; default 4.
	Concurrency int `json:"concurrency,omitempty"`
}

// Site is how to reach a registry (the hub or a zone).
type Site struct {
	// Registry is host[:port], or oci-layout:DIR for a zone on disk (an air gap); each repository then
	// lives in DIR/<repository path>.
	Registry              string `json:"registry"`
	PlainHTTP             bool   `json:"plainHTTP,omitempty"`
	CAFile                string `json:"caFile,omitempty"`
	InsecureSkipTLSVerify bool   `json:"insecureSkipTLSVerify,omitempty"`
	// CredentialsFile is a docker config.json for this site; default: the docker credential store.
	CredentialsFile string `json:"credentialsFile,omitempty"`
}

// Zone is one replication target.
type Zone struct {
	Name string `json:"name"`
	Site `json:",inline"`
	// PathPrefix is put before each repository path at the zone (a Harbor project, say): platform/app
	// lands at PathPrefix/platform/app. The sidecar's mirrors entry says the same with pathPrefix.
	PathPrefix string `json:"pathPrefix,omitempty"`
	// Images is the zone's images prefix (zone-a.example.com/mirror), where Spec.Images copies the
	// locked images and status looks for them; not for an oci-layout zone, whose layouts carry them.
	Images string `json:"images,omitempty"`
}

// Rule selects artifacts: repositories by glob, then tags by glob and/or semver range, then the
// latest N of what is left.
type Rule struct {
	// Repositories are paths on the hub; "*" stays inside a path segment, "**" crosses them.
	Repositories []string `json:"repositories"`
	// Tags are globs ("1.*", "prod"); empty means every tag except signature and referrer tags.
	Tags []string `json:"tags,omitempty"`
	// Versions is a semver range (">=1.4 <2"); tags that are not versions are left out when set.
	Versions string `json:"versions,omitempty"`
	// Latest keeps the N highest versions per repository (by semver; tags that are not versions
	// sort below them, by name).
	Latest int `json:"latest,omitempty"`

	versions *semver.Constraints
}

// Load reads and validates a zones file.
func Load(path string) (*Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading zones file: %w", err)
	}
	s, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", path, err)
	}
	return s, nil
}

// Parse decodes and validates a zones document. Unknown fields are errors, so a typo never drops a rule.
func Parse(b []byte) (*Spec, error) {
	j, err := yaml.YAMLToJSONStrict(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	var s Spec
	strict, err := k8sjson.UnmarshalStrict(j, &s)
	if err == nil {
		err = errors.Join(strict...)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return &s, nil
}

func (s *Spec) validate() error {
	if s.APIVersion != APIVersion || s.Kind != Kind {
		return fmt.Errorf("apiVersion %q, kind %q: write apiVersion: %s and kind: %s", s.APIVersion, s.Kind, APIVersion, Kind)
	}
	if s.Hub.Registry == "" || strings.HasPrefix(s.Hub.Registry, registry.LayoutScheme) || strings.Contains(s.Hub.Registry, "/") {
		return fmt.Errorf("hub.registry %q: give the hub's host[:port]", s.Hub.Registry)
	}
	if len(s.Zones) == 0 {
		return errors.New("zones: name at least one zone (registry: host[:port] or oci-layout:DIR)")
	}
	seen := map[string]bool{}
	for i := range s.Zones {
		z := &s.Zones[i]
		if err := z.validate(s.Images); err != nil {
			return fmt.Errorf("zones[%d]: %w", i, err)
		}
		if seen[z.Name] {
			return fmt.Errorf("zones[%d]: name %q is used twice: give each zone its own name", i, z.Name)
		}
		seen[z.Name] = true
	}
	if len(s.Rules) == 0 {
		return errors.New("rules: add at least one rule (repositories: [platform/**])")
	}
	for i := range s.Rules {
		if err := s.Rules[i].validate(); err != nil {
			return fmt.Errorf("rules[%d]: %w", i, err)
		}
	}
	if s.Concurrency < 0 {
		return errors.New("concurrency must not be negative")
	}
	return nil
}

func (z *Zone) validate(images bool) error {
	if z.Registry == "" {
		return errors.New("registry: give host[:port] or oci-layout:DIR")
	}
	if !z.IsLayout() && strings.Contains(z.Registry, "/") {
		return fmt.Errorf("registry %q: give host[:port] only; put a path under pathPrefix", z.Registry)
	}
	if z.Name == "" {
		z.Name = z.Registry
	}
	z.PathPrefix = strings.Trim(z.PathPrefix, "/")
	if images && z.Images == "" && !z.IsLayout() {
		return fmt.Errorf("zone %s: images: true needs the zone's images prefix (images: %s/mirror)", z.Name, z.Registry)
	}
	return z.validateImages()
}

// IsLayout reports whether the zone is an oci-layout directory.
func (z *Zone) IsLayout() bool { return strings.HasPrefix(z.Registry, registry.LayoutScheme) }

// Reference returns where repository (a hub path) lives at the zone.
func (z *Zone) Reference(repository string) registry.Reference {
	if z.IsLayout() {
		dir := strings.TrimPrefix(z.Registry, registry.LayoutScheme)
		return registry.Reference{Layout: strings.TrimSuffix(dir, "/") + "/" + joinPath(z.PathPrefix, repository)}
	}
	return registry.Reference{Registry: registry.NormalizeHost(z.Registry), Repository: joinPath(z.PathPrefix, repository)}
}

func joinPath(prefix, path string) string {
	if prefix == "" {
		return path
	}
	return prefix + "/" + path
}

func (r *Rule) validate() error {
	if len(r.Repositories) == 0 {
		return errors.New("repositories: name at least one repository path or glob (platform/**)")
	}
	for _, g := range append(append([]string{}, r.Repositories...), r.Tags...) {
		if _, err := config.Glob(g); err != nil {
			return fmt.Errorf("glob %q: %w", g, err)
		}
	}
	for _, g := range r.Repositories {
		if strings.Contains(g, ":") || strings.HasPrefix(g, "/") {
			return fmt.Errorf("repositories: %q: give a path on the hub without host or tag (platform/app)", g)
		}
	}
	if r.Versions != "" {
		c, err := semver.NewConstraint(r.Versions)
		if err != nil {
			return fmt.Errorf("versions %q: %v (write a semver range such as \">=1.4 <2\")", r.Versions, err)
		}
		r.versions = c
	}
	if r.Latest < 0 {
		return errors.New("latest must not be negative")
	}
	return nil
}
