package cmp

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestEnvFromOS(t *testing.T) {
	env := map[string]string{
		"ARGOCD_APP_NAME": "guestbook", "ARGOCD_APP_NAMESPACE": "apps", "KUBE_VERSION": "1.31",
		"ARGOCD_APP_PROJECT_NAME":           "team-a",
		"KUBE_API_VERSIONS":                 "v1,apps/v1,monitoring.coreos.com/v1",
		"ARGOCD_ENV_GITLESS_REF":            "hub.example.com/platform/app:1.0.0",
		"ARGOCD_APP_SOURCE_TARGET_REVISION": "1.0.0",
		"ARGOCD_APP_PARAMETERS": `[{"name":"valueFiles","array":["values-prod.yaml"]},{"name":"values","string":"replicas: 2"},
			{"name":"set","map":{"image.tag":"1.2"}},{"name":"releaseName","string":"gb"},{"name":"images","array":["nginx=mirror/nginx:1.27"]}]`,
	}
	e, err := EnvFromOS(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := Params{Ref: "hub.example.com/platform/app:1.0.0", Values: "replicas: 2", ValueFiles: []string{"values-prod.yaml"},
		Set: []string{"image.tag=1.2"}, ReleaseName: "gb", Images: []string{"nginx=mirror/nginx:1.27"}}
	if !reflect.DeepEqual(e.Params, want) {
		t.Fatalf("params = %+v\nwant %+v", e.Params, want)
	}
	if len(e.APIVersions) != 3 || e.AppName != "guestbook" || e.TargetRevision != "1.0.0" || e.Project != "team-a" {
		t.Fatalf("env = %+v", e)
	}
}

func TestEnvParameterNameAndTypeChecked(t *testing.T) {
	cases := []struct {
		name, params string
		want         []string // substrings of the error; nil means accepted
	}{
		{"misspelt name", `[{"name":"valuefiles","string":"x"}]`, []string{`unknown parameter "valuefiles"`, "valueFiles"}},
		{"values as a map", `[{"name":"values","map":{"replicaCount":"3"}}]`, []string{`"values"`, "given as a map", "takes a string", `"set"`}},
		{"values as an array", `[{"name":"values","array":["a: 1"]}]`, []string{`"values"`, "given as an array", "takes a string"}},
		{"ref as an array", `[{"name":"ref","array":["h/r:1"]}]`, []string{`"ref"`, "array", "takes a string"}},
		{"valueFiles as a map", `[{"name":"valueFiles","map":{"a":"b"}}]`, []string{`"valueFiles"`, "given as a map", "takes an array"}},
		{"images as a map", `[{"name":"images","map":{}}]`, []string{`"images"`, "map", "array"}},
		{"two types at once", `[{"name":"releaseName","string":"a","array":["b"]}]`, []string{`"releaseName"`, "both string and array"}},
		{"set as a map", `[{"name":"set","map":{"b":"2","a":"1"}}]`, nil},
		{"set as an array", `[{"name":"set","array":["a=1"]}]`, nil},
		{"valueFiles as a string list", `[{"name":"valueFiles","string":"a.yaml,b.yaml"}]`, nil},
		{"null types are absent", `[{"name":"values","string":"a: 1","map":null}]`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := EnvFromOS(func(k string) string {
				if k == "ARGOCD_APP_PARAMETERS" {
					return c.params
				}
				return ""
			})
			if c.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrParameter) {
				t.Fatalf("err = %v, want ErrParameter", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestEnvSetMapIsOrdered(t *testing.T) {
	e, err := EnvFromOS(func(k string) string {
		if k == "ARGOCD_APP_PARAMETERS" {
			return `[{"name":"set","map":{"b":"2","a":"1","c":"3"}}]`
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a=1", "b=2", "c=3"}; !reflect.DeepEqual(e.Params.Set, want) {
		t.Fatalf("set = %v, want %v", e.Params.Set, want)
	}
}

func TestArtifactRef(t *testing.T) {
	cases := []struct {
		env     Env
		want    string
		wantErr bool
	}{
		{Env{Params: Params{Ref: "h/r:1"}, RepoURL: "oci://x/y", Revision: "sha256:ab"}, "h/r:1", false},
		{Env{RepoURL: "oci://hub/platform/app", Revision: "sha256:" + "a"}, "hub/platform/app@sha256:a", false},
		{Env{RepoURL: "oci://hub/platform/app/", Revision: "1.4.0"}, "hub/platform/app:1.4.0", false},
		{Env{RepoURL: "https://github.com/x/y.git", Revision: "abc"}, "", true},
		{Env{RepoURL: "oci://hub/app"}, "", true},
		// The OCI source form keeps a targetRevision tag beside the digest Argo CD resolved, so that a
		// signature must bind it; a semver range or a digest names no tag.
		{Env{RepoURL: "oci://hub/app", Revision: "sha256:a", TargetRevision: "1.4.0"}, "hub/app:1.4.0@sha256:a", false},
		{Env{RepoURL: "oci://hub/app", Revision: "sha256:a", TargetRevision: "v1.0"}, "hub/app:v1.0@sha256:a", false},
		{Env{RepoURL: "oci://hub/app", Revision: "sha256:a", TargetRevision: "latest"}, "hub/app:latest@sha256:a", false},
		{Env{RepoURL: "oci://hub/app", Revision: "sha256:a", TargetRevision: "1.4.0-rc.1"}, "hub/app:1.4.0-rc.1@sha256:a", false},
		{Env{RepoURL: "oci://hub/app", Revision: "sha256:a", TargetRevision: "sha256:a"}, "hub/app@sha256:a", false},
		{Env{RepoURL: "oci://hub/app", Revision: "sha256:a", TargetRevision: "^1.2"}, "hub/app@sha256:a", false},
		{Env{RepoURL: "oci://hub/app", Revision: "sha256:a", TargetRevision: ">=1.0 <2"}, "hub/app@sha256:a", false},
		{Env{RepoURL: "oci://hub/app", Revision: "sha256:a", TargetRevision: "1.x"}, "hub/app@sha256:a", false},
		{Env{RepoURL: "oci://hub/app", Revision: "sha256:a", TargetRevision: "*"}, "hub/app@sha256:a", false},
		{Env{RepoURL: "oci://hub/app", Revision: "sha256:a"}, "hub/app@sha256:a", false},
	}
	for _, c := range cases {
		got, err := c.env.ArtifactRef()
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("%+v: got %q, %v", c.env, got, err)
		}
	}
}
