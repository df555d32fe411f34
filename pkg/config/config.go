// Package config reads the gitless configuration file, the one YAML document that the argocd-cmp
// sidecar and `kubectl gitless verify --policy` share: registry access (TLS, credentials, mirrors),
// trust policies matched by repository, and resource limits.
package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"time"

	k8sjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/gitless-dev/gitless/pkg/registry"
)

// APIVersion and Kind identify a gitless configuration document.
const (
	APIVersion = "gitless.dev/v1alpha1"
	Kind       = "Config"
)

// ErrNoMatchingPolicy is returned by PolicyFor when no policy matches a repository: an unmatched
// repository is refused, never trusted by default.
var ErrNoMatchingPolicy = errors.New("no trust policy matches the repository")

// ErrRequireTagBindingFalse refuses the retired `requireTagBinding: false`.
var ErrRequireTagBindingFalse = errors.New("requireTagBinding: false is no longer supported (tags must be bound by a signature by default): " +
	"remove requireTagBinding, and set allowUnboundTags: true only if this policy must accept tags that no signature binds")

// ErrInvalid marks a configuration that was read but is not acceptable.
var ErrInvalid = errors.New("invalid configuration")

// ErrUnanchoredRegExp is returned for a keyless identity regular expression without ^ and $: it
// would accept any certificate identity that merely contains a match.
var ErrUnanchoredRegExp = errors.New("unanchored regular expression")

// Config is the gitless configuration file.
type Config struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Registries []Registry `json:"registries,omitempty"`
	// Policies are tried in order; the first whose Match covers the repository wins.
	Policies []Policy `json:"policies,omitempty"`
	Limits   Limits   `json:"limits,omitempty"`
	Cache    Cache    `json:"cache,omitempty"`
	// Images is the zone's images mirror for every upstream registry whose entry names none.
	Images *ImagesMirror `json:"images,omitempty"`
}

// Endpoint holds how to reach one registry host.
type Endpoint struct {
	// Host is "host[:port]", without scheme.
	Host                  string `json:"host"`
	PlainHTTP             bool   `json:"plainHTTP,omitempty"`
	CAFile                string `json:"caFile,omitempty"`
	InsecureSkipTLSVerify bool   `json:"insecureSkipTLSVerify,omitempty"`
	// CredentialsFile is a Docker config.json style file, used for every request (or, with
	// Credentials, for the projects none of its entries names).
	CredentialsFile string `json:"credentialsFile,omitempty"`
	// Credentials are credentials files scoped to Argo CD projects (see ScopedCredentials): the first
	// entry whose projects match the Application's project is used. A request of another project (or
	// of none) gets CredentialsFile, or no credentials at all when it is empty; never the sidecar's
	// default docker config.
	Credentials []ScopedCredentials `json:"credentials,omitempty"`
	// PathPrefix and StripPrefix map the upstream repository path onto a mirror that keeps its copy
	// under another path, as containerd's hosts.toml and registries.conf do; mirrors only. The
	// mirror's path is PathPrefix + the upstream path without StripPrefix: a copy of
	// platform/guestbook at zone-a/guestbook needs stripPrefix "platform" and pathPrefix "zone-a"; a
	// Harbor proxy-cache project "hub-cache" needs pathPrefix "hub-cache". Tag bindings are still
	// checked against the upstream path, which is what the hub's signatures name. A repository not
	// under StripPrefix is not read from this mirror.
	PathPrefix  string `json:"pathPrefix,omitempty"`
	StripPrefix string `json:"stripPrefix,omitempty"`

	// given records which transport settings the document spelled out (see MirrorEndpoint).
	given transportGiven
}

// UnmarshalJSON accepts either a bare "host[:port]" string or an object.
func (e *Endpoint) UnmarshalJSON(b []byte) error {
	var host string
	if err := json.Unmarshal(b, &host); err == nil {
		*e = Endpoint{Host: host, given: transportGiven{parsed: true}}
		return nil
	}
	type plain Endpoint
	var p plain
	if err := strictJSON(b, &p); err != nil {
		return err
	}
	*e = Endpoint(p)
	return e.given.read(b)
}

// Registry configures access to one upstream registry and its mirrors.
type Registry struct {
	Endpoint
	// Mirrors are tried first, in order, before Host.
	Mirrors []Endpoint `json:"mirrors,omitempty"`
	// MirrorTagFreshness bounds how old a tag read from a mirror may be before the upstream is asked.
	MirrorTagFreshness Duration `json:"mirrorTagFreshness,omitempty"`
	// Images is the zone's images mirror for images of this registry (Host), overriding the global one.
	Images *ImagesMirror `json:"images,omitempty"`
}

// UnmarshalJSON decodes a registry strictly (the embedded Endpoint's own decoder would otherwise
// swallow the whole object).
func (r *Registry) UnmarshalJSON(b []byte) error {
	var raw struct {
		Host                  string              `json:"host"`
		PlainHTTP             bool                `json:"plainHTTP,omitempty"`
		CAFile                string              `json:"caFile,omitempty"`
		InsecureSkipTLSVerify bool                `json:"insecureSkipTLSVerify,omitempty"`
		CredentialsFile       string              `json:"credentialsFile,omitempty"`
		Credentials           []ScopedCredentials `json:"credentials,omitempty"`
		Mirrors               []Endpoint          `json:"mirrors,omitempty"`
		MirrorTagFreshness    Duration            `json:"mirrorTagFreshness,omitempty"`
		Images                *ImagesMirror       `json:"images,omitempty"`
	}
	if err := strictJSON(b, &raw); err != nil {
		return err
	}
	*r = Registry{
		Endpoint: Endpoint{Host: raw.Host, PlainHTTP: raw.PlainHTTP, CAFile: raw.CAFile,
			InsecureSkipTLSVerify: raw.InsecureSkipTLSVerify, CredentialsFile: raw.CredentialsFile,
			Credentials: raw.Credentials},
		Mirrors:            raw.Mirrors,
		MirrorTagFreshness: raw.MirrorTagFreshness,
		Images:             raw.Images,
	}
	return nil
}

// Policy says which signatures make artifacts of the matching repositories trusted.
type Policy struct {
	// Match is a glob over "host[:port]/path": "*" and "?" stay within a path segment, "**" spans
	// slashes.
	Match string `json:"match"`
	// Projects scopes the policy to Applications of these Argo CD projects (globs over project names,
	// "team-a", "team-*"): a request of another project, or one that names no project, is refused
	// (ErrProjectNotAllowed). Without Projects the policy applies to every Application. Argo CD checks
	// an AppProject's sourceRepos only against the Application's own source, not against the artifact
	// a plugin-form Application names in GITLESS_REF, so in a sidecar shared by several teams this is
	// what keeps one team's Applications from rendering another team's artifacts.
	Projects []string `json:"projects,omitempty"`
	// Keys are PEM public key files, or directories whose *.pub and *.pem files are keys.
	Keys    []string `json:"keys,omitempty"`
	Keyless *Keyless `json:"keyless,omitempty"`
	// Notation accepts Notary Project signatures (see Notation), instead of or as well as cosign's.
	Notation *Notation `json:"notation,omitempty"`
	// RequireAllKinds, when the policy names both cosign trust (keys or keyless) and Notation
	// trust, requires a valid signature of each kind; by default any one valid signature of an
	// accepted kind is enough.
	RequireAllKinds bool `json:"requireAllKinds,omitempty"`
	// InsecureAcceptUnsigned accepts artifacts without checking signatures; for development only,
	// and every use is logged as a warning.
	InsecureAcceptUnsigned bool `json:"insecureAcceptUnsigned,omitempty"`
	// AllowUnboundTags accepts a tag whose valid signatures bind no tag at all (as plain `cosign sign`
	// writes them), with a warning on every use. Unsafe: a registry can then roll the tag back to any
	// older signed digest, or serve another repository's signed digest under it. By default a tag is
	// accepted only when a valid signature binds it to the digest for this repository; a tag moved
	// onto a digest whose signatures bind other tags is refused either way.
	AllowUnboundTags bool `json:"allowUnboundTags,omitempty"`
	// RequireTagBinding is deprecated: binding is now the default. true is accepted and changes
	// nothing; false is refused with a pointer to AllowUnboundTags.
	RequireTagBinding bool `json:"requireTagBinding,omitempty"`
	// AllowEmpty lets an artifact that renders no objects through: Argo CD then prunes every live
	// object of the Application. Without it the sidecar refuses an empty render; every use is logged.
	AllowEmpty bool `json:"allowEmpty,omitempty"`
	// RequireLockedImages refuses a render that names an image the artifact's verified images lock
	// does not pin by digest (one introduced by a Helm value given at sync time, or an artifact
	// published without a lock).
	RequireLockedImages bool `json:"requireLockedImages,omitempty"`

	// Provenance, when set, accepts an artifact only with a SLSA provenance attestation signed under
	// this policy's keys or identity, for the artifact's digest, whose source matches (see Provenance).
	Provenance *Provenance `json:"provenance,omitempty"`

	re *regexp.Regexp
}

// UnmarshalJSON decodes a policy strictly and refuses the retired `requireTagBinding: false`, whose
// meaning (accept unbound tags) is now spelled allowUnboundTags.
func (p *Policy) UnmarshalJSON(b []byte) error {
	type plain Policy
	var q plain
	if err := strictJSON(b, &q); err != nil {
		return err
	}
	var probe struct {
		RequireTagBinding *bool `json:"requireTagBinding"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return err
	}
	if probe.RequireTagBinding != nil && !*probe.RequireTagBinding {
		return fmt.Errorf("policy %q: %w", q.Match, ErrRequireTagBindingFalse)
	}
	*p = Policy(q)
	return nil
}

// Keyless is a certificate identity (Fulcio-style) and the trusted root that anchors it.
type Keyless struct {
	Issuer string `json:"issuer,omitempty"`
	// IssuerRegExp and SubjectRegExp must be anchored (^...$), or Validate refuses them.
	IssuerRegExp  string `json:"issuerRegExp,omitempty"`
	Subject       string `json:"subject,omitempty"`
	SubjectRegExp string `json:"subjectRegExp,omitempty"`
	// TrustedRoot is a Sigstore trusted_root.json; empty means the caller's default.
	TrustedRoot string `json:"trustedRoot,omitempty"`
}

// Limits bound what one artifact may cost to fetch, extract and render.
type Limits struct {
	MaxArtifactSize  int64    `json:"maxArtifactSize,omitempty"`
	MaxExtractedSize int64    `json:"maxExtractedSize,omitempty"`
	MaxFiles         int      `json:"maxFiles,omitempty"`
	RequestTimeout   Duration `json:"requestTimeout,omitempty"`
	TotalTimeout     Duration `json:"totalTimeout,omitempty"`
	// MaxRenderedSize caps the rendered output in bytes (render.DefaultMaxOutputSize, 64 MiB,
	// when zero); MaxRenderMemory caps the renderer process's memory (render.DefaultMaxMemory,
	// 1 GiB, when zero).
	MaxRenderedSize int64 `json:"maxRenderedSize,omitempty"`
	MaxRenderMemory int64 `json:"maxRenderMemory,omitempty"`
}

// Cache configures the sidecar's verification and content cache.
type Cache struct {
	// Dir must belong to the sidecar's user and be writable by no one else (mode 0700), and must not
	// be a symlink; the sidecar refuses it otherwise.
	Dir     string `json:"dir,omitempty"`
	MaxSize int64  `json:"maxSize,omitempty"`
	// VerificationTTL is how long a digest's successful verification is reused before its signatures
	// are checked again, which bounds how long a removed signature keeps counting; default 10m
	// (cache.DefaultVerificationTTL).
	VerificationTTL Duration `json:"verificationTTL,omitempty"`
}

// Duration is a time.Duration written as a Go duration string ("30s", "5m").
type Duration struct{ time.Duration }

// UnmarshalJSON parses a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"30s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// MarshalJSON writes the duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// Load reads and validates a configuration file. Unknown fields are errors, so that a typo never
// silently weakens a policy.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes and validates a configuration document.
func Parse(b []byte) (*Config, error) {
	j, err := yaml.YAMLToJSONStrict(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	var c Config
	if err := strictJSON(j, &c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := c.normalize(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// strictJSON decodes with case-sensitive field names and rejects unknown and duplicate fields:
// encoding/json would accept "subjectregexp" for "subjectRegExp".
func strictJSON(b []byte, v any) error {
	strict, err := k8sjson.UnmarshalStrict(b, v)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

// Hash identifies the configuration's content, for cache keys: any change to it changes the hash.
func (c *Config) Hash() string { return hashJSON(c) }

// Hash identifies the policy's content, for verification cache keys.
func (p *Policy) Hash() string { return hashJSON(p) }

func hashJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain data types; cannot fail
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// PolicyFor returns the policy for repository ("host[:port]/path", its host compared in
// registry.NormalizeHost's spelling) for a request that names no Argo CD project: a policy scoped to
// projects refuses it (see PolicyForProject).
func (c *Config) PolicyFor(repository string) (*Policy, error) {
	return c.PolicyForProject(repository, "")
}

// policyFor returns the first policy whose Match covers repository, whatever its scope.
func (c *Config) policyFor(repository string) (*Policy, error) {
	repository = normalizeRepository(repository)
	for i := range c.Policies {
		p := &c.Policies[i]
		if p.Matches(repository) {
			return p, nil
		}
	}
	return nil, fmt.Errorf("%w %s: add a policy whose match covers it to the configuration", ErrNoMatchingPolicy, repository)
}

// RegistryFor returns the registry entry for host (in any spelling registry.NormalizeHost folds), or
// nil when the host has none.
func (c *Config) RegistryFor(host string) *Registry {
	host = registry.NormalizeHost(host)
	for i := range c.Registries {
		if registry.NormalizeHost(c.Registries[i].Host) == host {
			return &c.Registries[i]
		}
	}
	return nil
}

// Matches reports whether the policy's glob covers repository (hosts compared normalised).
func (p *Policy) Matches(repository string) bool {
	repository = normalizeRepository(repository)
	re := p.re
	if re == nil { // a Policy built in code rather than by Parse
		var err error
		if re, err = compileGlob(p.Match); err != nil {
			return false
		}
	}
	return re.MatchString(repository)
}
