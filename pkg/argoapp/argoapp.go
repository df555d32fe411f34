// Package argoapp reads the Argo CD Applications that deploy gitless artifacts, from unstructured
// objects of the dynamic client (Argo CD's Go types would pull Argo CD's module graph into this one),
// and writes the patch that pins one to a digest.
//
// Reference: https://argo-cd.readthedocs.io/en/stable/operator-manual/declarative-setup/#applications
package argoapp

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GVR is Argo CD's Application resource.
var GVR = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}

// PluginName is the prefix of the plugin name Applications select (gitless-v1).
const PluginName = "gitless"

// Form is how an Application names its artifact.
type Form string

// The forms of manifests/examples/applications.
const (
	// FormOCI is Argo CD's OCI source (repoURL oci://..., targetRevision a tag or digest).
	FormOCI Form = "oci-source"
	// FormPluginEnv is the plugin env GITLESS_REF.
	FormPluginEnv Form = "plugin-env"
	// FormPluginParam is the plugin parameter `ref`.
	FormPluginParam Form = "plugin-parameter"
)

// App is what gitless reads from one Application.
type App struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	Form      Form   `json:"form"`
	// Ref is the artifact as the Application names it: registry/repo:tag, registry/repo@sha256:...
	// (for the OCI source, repoURL without oci:// and targetRevision).
	Ref string `json:"ref"`
	// SyncedRevision is the revision of the source Argo CD last compared (status.sync.revision).
	SyncedRevision string `json:"syncedRevision,omitempty"`
	SyncStatus     string `json:"syncStatus,omitempty"`
	Health         string `json:"health,omitempty"`
	// Condition is the last condition ("Type: message"), empty when there is none.
	Condition string `json:"condition,omitempty"`
	// Generated names the ApplicationSet that generated the Application, if any.
	Generated string `json:"applicationSet,omitempty"`

	path []string // the JSON path of the field that holds the reference, for Pin
	src  string   // JSON pointer of the source (/spec/source or /spec/sources/N)
}

// SyncedDigest is the artifact digest the Application runs, when its status says it: the OCI source's
// synced revision, or the digest pinned in the plugin form's reference while the Application is Synced.
// A plugin form naming a tag records no digest in the status: "" (pin it to know).
func (a App) SyncedDigest() string {
	if a.Form == FormOCI {
		if strings.HasPrefix(a.SyncedRevision, "sha256:") {
			return a.SyncedRevision
		}
		return ""
	}
	if _, d, ok := strings.Cut(a.Ref, "@"); ok && a.SyncStatus == "Synced" {
		return d
	}
	return ""
}

// FromObject reads the Application u. ok is false when it does not use gitless: no source selects the
// gitless plugin, and no OCI source names a repository that isGitless accepts (nil accepts none).
func FromObject(u *unstructured.Unstructured, isGitless func(repository string) bool) (App, bool) {
	a := App{Name: u.GetName(), Namespace: u.GetNamespace()}
	for _, o := range u.GetOwnerReferences() {
		if o.Kind == "ApplicationSet" {
			a.Generated = o.Name
		}
	}
	if src, ok, _ := unstructured.NestedMap(u.Object, "spec", "source"); ok && readSource(&a, src, isGitless) {
		a.src = "/spec/source"
		a.readStatus(u, -1)
		return a, true
	}
	multi, _, _ := unstructured.NestedSlice(u.Object, "spec", "sources")
	for i, s := range multi {
		if src, _ := s.(map[string]any); readSource(&a, src, isGitless) {
			a.src = fmt.Sprintf("/spec/sources/%d", i)
			a.readStatus(u, i)
			return a, true
		}
	}
	return a, false
}

// readSource fills a's form and reference from one source.
func readSource(a *App, src map[string]any, isGitless func(string) bool) bool {
	repoURL, _, _ := unstructured.NestedString(src, "repoURL")
	rev, _, _ := unstructured.NestedString(src, "targetRevision")
	plugin, _, _ := unstructured.NestedString(src, "plugin", "name")
	if strings.HasPrefix(plugin, PluginName) {
		params, _, _ := unstructured.NestedSlice(src, "plugin", "parameters")
		for i, p := range params {
			m, _ := p.(map[string]any)
			if m["name"] == "ref" {
				a.Form, a.Ref = FormPluginParam, fmt.Sprint(m["string"])
				a.path = []string{"plugin", "parameters", fmt.Sprint(i), "string"}
				return true
			}
		}
		env, _, _ := unstructured.NestedSlice(src, "plugin", "env")
		for i, e := range env {
			m, _ := e.(map[string]any)
			if m["name"] == "GITLESS_REF" {
				a.Form, a.Ref = FormPluginEnv, fmt.Sprint(m["value"])
				a.path = []string{"plugin", "env", fmt.Sprint(i), "value"}
				return true
			}
		}
	}
	repo, isOCI := strings.CutPrefix(repoURL, "oci://")
	if !isOCI || (!strings.HasPrefix(plugin, PluginName) && (isGitless == nil || !isGitless(strings.TrimSuffix(repo, "/")))) {
		return false
	}
	a.Form, a.Ref, a.path = FormOCI, joinRef(strings.TrimSuffix(repo, "/"), rev), []string{"targetRevision"}
	return true
}

func joinRef(repo, rev string) string {
	switch {
	case strings.HasPrefix(rev, "sha256:"):
		return repo + "@" + rev
	case rev == "":
		return repo + ":latest"
	}
	return repo + ":" + rev
}

func (a *App) readStatus(u *unstructured.Unstructured, source int) {
	a.SyncStatus, _, _ = unstructured.NestedString(u.Object, "status", "sync", "status")
	a.Health, _, _ = unstructured.NestedString(u.Object, "status", "health", "status")
	if source >= 0 {
		revs, _, _ := unstructured.NestedStringSlice(u.Object, "status", "sync", "revisions")
		if source < len(revs) {
			a.SyncedRevision = revs[source]
		}
	} else {
		a.SyncedRevision, _, _ = unstructured.NestedString(u.Object, "status", "sync", "revision")
	}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	if n := len(conds); n > 0 {
		m, _ := conds[n-1].(map[string]any)
		a.Condition = fmt.Sprintf("%v: %v", m["type"], m["message"])
	}
}
