package argoapp

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Value is what Pin writes into the field that names the artifact: for the OCI source the digest
// (targetRevision), for the plugin forms repo:tag@digest (the tag kept, so that the sidecar still
// checks the signed tag binding) or repo@digest.
func (a App) Value(repository, tag, digest string) string {
	if a.Form == FormOCI {
		return digest
	}
	if tag != "" {
		return repository + ":" + tag + "@" + digest
	}
	return repository + "@" + digest
}

// PinPatch is the JSON patch (RFC 6902) that sets the field naming a's artifact to value. It tests the
// field's current value first, so a concurrent change to the Application fails the patch instead of
// being overwritten.
func (a App) PinPatch(value string) ([]byte, error) {
	if a.src == "" {
		return nil, fmt.Errorf("%s/%s names no gitless artifact", a.Namespace, a.Name)
	}
	ptr := a.src + "/" + strings.Join(a.path, "/")
	var cur any = strings.TrimPrefix(strings.TrimPrefix(a.Ref, refRepo(a.Ref)), ":")
	if a.Form != FormOCI {
		cur = a.Ref
	} else if strings.Contains(a.Ref, "@") {
		_, cur, _ = strings.Cut(a.Ref, "@")
	}
	ops := []map[string]any{{"op": "test", "path": ptr, "value": cur}, {"op": "replace", "path": ptr, "value": value}}
	if a.Form == FormOCI && strings.HasSuffix(a.Ref, ":latest") {
		ops = ops[1:] // no targetRevision (Argo CD reads latest): add it
		ops[0]["op"] = "add"
	}
	return json.Marshal(ops)
}

// refRepo is ref without its tag or digest.
func refRepo(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[:i]
	}
	return ref
}

// Repository is the artifact's repository (registry/repo), without tag or digest.
func (a App) Repository() string { return refRepo(a.Ref) }
