// Package cmp is the Argo CD config-management-plugin pipeline that argocd-cmp runs during a sync:
// environment → resolve (tag to digest, once) → verify (trust policy) → fetch by digest (cache, zone
// mirrors, then the registry; size and digest checked) → extract → render. Manifests are written only
// when every step succeeded.
//
// The verify step is a Verifier: package cmp/verify checks signatures in the calling process
// (kubectl gitless render, gitless-verify); argocd-cmp, which links no signature library, asks
// gitless-verify (VerifyInChild) only when the cache holds no acceptance for the digest under the same
// policy, key material, repository and tag.
package cmp

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Env is what Argo CD tells the plugin about the Application being generated.
// Reference: https://argo-cd.readthedocs.io/en/stable/operator-manual/config-management-plugins/
type Env struct {
	AppName, AppNamespace string
	// Project is the Application's spec.project (ARGOCD_APP_PROJECT_NAME, passed by Argo CD 3.x,
	// "" when absent). Policies and credentials scoped to projects are chosen by it. Argo CD
	// passes no other fact about who asks: ARGOCD_APP_NAMESPACE is the destination namespace, and the
	// Application's own namespace shows only as the "<namespace>_" prefix of ARGOCD_APP_NAME (apps in
	// any namespace), which the AppProject's sourceNamespaces already governs.
	Project string
	// RepoURL and Revision name an Argo CD OCI source (oci://host/repo, sha256:...).
	RepoURL, Revision string
	// TargetRevision is the OCI source's targetRevision as the Application spells it (a tag, a semver
	// range or a digest); Argo CD resolved it to Revision.
	TargetRevision string
	KubeVersion    string
	APIVersions    []string
	Params         Params
}

// Params are the plugin parameters (ARGOCD_APP_PARAMETERS) and plugin env (ARGOCD_ENV_GITLESS_*).
type Params struct {
	Ref         string   `json:"ref,omitempty"`
	Values      string   `json:"values,omitempty"`
	ValueFiles  []string `json:"valueFiles,omitempty"`
	Set         []string `json:"set,omitempty"`
	ReleaseName string   `json:"releaseName,omitempty"`
	Namespace   string   `json:"namespace,omitempty"`
	Images      []string `json:"images,omitempty"`
	NamePrefix  string   `json:"namePrefix,omitempty"`
	NameSuffix  string   `json:"nameSuffix,omitempty"`
}

// parameter is one element of ARGOCD_APP_PARAMETERS, as Argo CD marshals
// ApplicationSourcePluginParameter: a name and one of string, array or map (an empty array or map is
// sent as [] or {}, so presence tells the type the Application gave).
type parameter struct {
	Name   string          `json:"name"`
	String json.RawMessage `json:"string,omitempty"`
	Array  json.RawMessage `json:"array,omitempty"`
	Map    json.RawMessage `json:"map,omitempty"`
}

// Parameter types, as an Application's spec.source.plugin.parameters spells them.
const (
	typeString = "string"
	typeArray  = "array"
	typeMap    = "map"
)

// paramTypes are the types each parameter takes. A list also takes a comma-separated string (as the
// plugin env does); a string parameter takes nothing else, so a map given for `values` is refused
// instead of being ignored.
var paramTypes = map[string][]string{
	"ref": {typeString}, "values": {typeString}, "releaseName": {typeString}, "namespace": {typeString},
	"namePrefix": {typeString}, "nameSuffix": {typeString},
	"valueFiles": {typeArray, typeString}, "images": {typeArray, typeString},
	"set": {typeMap, typeArray, typeString},
}

// knownParams lists the parameters in announcement order for messages.
const knownParams = "ref, values, valueFiles, set, releaseName, namespace, images, namePrefix, nameSuffix"

// EnvFromOS reads the Argo CD environment through getenv (os.Getenv in the binary).
func EnvFromOS(getenv func(string) string) (Env, error) {
	e := Env{
		AppName: getenv("ARGOCD_APP_NAME"), AppNamespace: getenv("ARGOCD_APP_NAMESPACE"),
		Project: getenv("ARGOCD_APP_PROJECT_NAME"),
		RepoURL: getenv("ARGOCD_APP_SOURCE_REPO_URL"), Revision: getenv("ARGOCD_APP_REVISION"),
		TargetRevision: getenv("ARGOCD_APP_SOURCE_TARGET_REVISION"),
		KubeVersion:    getenv("KUBE_VERSION"), APIVersions: splitList(getenv("KUBE_API_VERSIONS")),
	}
	if raw := getenv("ARGOCD_APP_PARAMETERS"); raw != "" {
		if err := e.Params.parse(raw); err != nil {
			return e, err
		}
	}
	// plugin.env entries arrive as ARGOCD_ENV_<NAME>; they fill what the parameters left empty.
	fill(&e.Params.Ref, getenv("ARGOCD_ENV_GITLESS_REF"))
	fill(&e.Params.Values, getenv("ARGOCD_ENV_GITLESS_VALUES"))
	fill(&e.Params.ReleaseName, getenv("ARGOCD_ENV_GITLESS_RELEASE_NAME"))
	fill(&e.Params.Namespace, getenv("ARGOCD_ENV_GITLESS_NAMESPACE"))
	if len(e.Params.ValueFiles) == 0 {
		e.Params.ValueFiles = splitList(getenv("ARGOCD_ENV_GITLESS_VALUE_FILES"))
	}
	if len(e.Params.Images) == 0 {
		e.Params.Images = splitList(getenv("ARGOCD_ENV_GITLESS_IMAGES"))
	}
	return e, nil
}

func (p *Params) parse(raw string) error {
	var params []parameter
	if err := json.Unmarshal([]byte(raw), &params); err != nil {
		return fmt.Errorf("reading ARGOCD_APP_PARAMETERS: %w", err)
	}
	for _, prm := range params {
		v, err := prm.value()
		if err != nil {
			return err
		}
		p.set(prm.Name, v)
	}
	return nil
}

// paramValue is a parameter's value, decoded from the one type it was given as.
type paramValue struct {
	str   string
	array []string
	m     map[string]string
}

// value checks the parameter's name and type and decodes its value.
func (prm parameter) value() (paramValue, error) {
	allowed, ok := paramTypes[prm.Name]
	if !ok {
		return paramValue{}, fmt.Errorf("%w: unknown parameter %q (known: %s)", ErrParameter, prm.Name, knownParams)
	}
	given := prm.types()
	switch {
	case len(given) == 0:
		return paramValue{}, nil
	case len(given) > 1:
		return paramValue{}, fmt.Errorf("%w: parameter %q is given as both %s and %s: keep one (%s)",
			ErrParameter, prm.Name, given[0], given[1], expected(prm.Name, allowed))
	case !slices.Contains(allowed, given[0]):
		return paramValue{}, fmt.Errorf("%w: parameter %q is given as %s, but argocd-cmp takes %s%s",
			ErrParameter, prm.Name, article(given[0]), expected(prm.Name, allowed), typeHint(prm.Name, given[0]))
	}
	var v paramValue
	var err error
	switch given[0] {
	case typeString:
		err = json.Unmarshal(prm.String, &v.str)
	case typeArray:
		err = json.Unmarshal(prm.Array, &v.array)
	case typeMap:
		err = json.Unmarshal(prm.Map, &v.m)
	}
	if err != nil {
		return v, fmt.Errorf("%w: reading parameter %q as a %s: %v", ErrParameter, prm.Name, given[0], err)
	}
	return v, nil
}

// types lists the types the parameter was given as; JSON null counts as absent.
func (prm parameter) types() []string {
	var given []string
	for _, f := range []struct {
		name string
		raw  json.RawMessage
	}{{typeString, prm.String}, {typeArray, prm.Array}, {typeMap, prm.Map}} {
		if len(f.raw) > 0 && string(f.raw) != "null" {
			given = append(given, f.name)
		}
	}
	return given
}

func article(typ string) string {
	if typ == typeArray {
		return "an array"
	}
	return "a " + typ
}

func expected(name string, allowed []string) string {
	switch {
	case len(allowed) == 1:
		return article(allowed[0])
	case name == "set":
		return "a map (or an array of key=value)"
	}
	return "an array (or a comma-separated string)"
}

// typeHint points at the parameter that takes what was given, for the mistakes that have one.
func typeHint(name, given string) string {
	if name == "values" && (given == typeMap || given == typeArray) {
		return ` (inline values YAML): put the values under "string: |", or use the parameter "set" for key=value overrides`
	}
	return ""
}

// set stores a checked value.
func (p *Params) set(name string, v paramValue) {
	list := v.array
	if list == nil {
		list = splitList(v.str)
	}
	switch name {
	case "ref":
		p.Ref = v.str
	case "values":
		p.Values = v.str
	case "valueFiles":
		p.ValueFiles = list
	case "set":
		p.Set = append(list, mapParam(v.m)...)
	case "releaseName":
		p.ReleaseName = v.str
	case "namespace":
		p.Namespace = v.str
	case "images":
		p.Images = list
	case "namePrefix":
		p.NamePrefix = v.str
	case "nameSuffix":
		p.NameSuffix = v.str
	}
}

func mapParam(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k+"="+m[k])
	}
	return out
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func fill(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

// ArtifactRef names the artifact to render: the ref parameter or plugin env first, else the Argo CD
// OCI source (repoURL oci://host/repo with the digest Argo CD resolved as the revision). When the
// Application's targetRevision is a tag, the reference keeps it beside the digest (repo:tag@digest),
// so the tag must be bound to that digest by a signature, as in the plugin form.
func (e Env) ArtifactRef() (string, error) {
	if e.Params.Ref != "" {
		return e.Params.Ref, nil
	}
	if strings.HasPrefix(e.RepoURL, "oci://") {
		repo := strings.TrimSuffix(strings.TrimPrefix(e.RepoURL, "oci://"), "/")
		switch {
		case strings.HasPrefix(e.Revision, "sha256:") && e.TargetTag() != "":
			return repo + ":" + e.TargetTag() + "@" + e.Revision, nil
		case strings.HasPrefix(e.Revision, "sha256:"):
			return repo + "@" + e.Revision, nil
		case e.Revision != "":
			return repo + ":" + e.Revision, nil
		}
		return "", fmt.Errorf("the OCI source %s has no revision", e.RepoURL)
	}
	return "", fmt.Errorf("no artifact named: set the plugin parameter `ref` or env GITLESS_REF " +
		"(registry/repo:tag or @sha256:...), or use an oci:// repoURL")
}

// TargetTag is the OCI source's targetRevision when it names one tag, and "" when it is empty, a
// digest or a semver range. The test is Argo CD's own (util/versions.MaxVersion): a valid semver
// version ("1.4.0", "v1.0") is an exact tag; else a valid constraint ("^1.2", ">=1.0 <2", "1.x",
// "*") is a range; else the string is a literal tag ("latest").
func (e Env) TargetTag() string {
	rev := e.TargetRevision
	if rev == "" || e.Params.Ref != "" || strings.HasPrefix(rev, "sha256:") {
		return ""
	}
	if _, err := semver.NewVersion(rev); err == nil {
		return rev
	}
	if e.TargetIsRange() {
		return ""
	}
	return rev
}

// TargetIsRange reports whether the OCI source's targetRevision is a semver range. Argo CD then picks
// the version from the tags it lists, and the sidecar verifies the digest it picked: no single tag is
// named, so there is no binding to check (the signature must still cover the digest).
func (e Env) TargetIsRange() bool {
	rev := e.TargetRevision
	if rev == "" || e.Params.Ref != "" || strings.HasPrefix(rev, "sha256:") {
		return false
	}
	if _, err := semver.NewVersion(rev); err == nil {
		return false
	}
	_, err := semver.NewConstraint(rev)
	return err == nil
}
