package render_test

import (
	"path/filepath"
	"testing"

	"github.com/gitless-dev/gitless/pkg/render"
	"github.com/gitless-dev/gitless/pkg/render/errdef"
)

func TestPackRoot(t *testing.T) {
	repo := writeTree(t, map[string]string{
		"deploy/base/kustomization.yaml":            "resources: [cm.yaml]\n",
		"deploy/base/cm.yaml":                       "",
		"deploy/components/x/kustomization.yaml":    "kind: Component\n",
		"deploy/overlays/zone-a/kustomization.yaml": "resources: [../../base]\ncomponents: [../../components/x]\n",
		"shared/patch.yaml":                         "",
		"apps/deep/kustomization.yaml":              "resources: [../../deploy/overlays/zone-a]\npatches:\n- path: ../../shared/patch.yaml\n",
		"self/kustomization.yaml":                   "resources: [cm.yaml]\n",
		"self/cm.yaml":                              "",
		"plain/cm.yaml":                             "",
		"chart/Chart.yaml":                          "",
		"escape/kustomization.yaml":                 "resources: [../../elsewhere]\n",
		"remote/kustomization.yaml":                 "resources:\n- https://github.com/org/repo//base?ref=v1\n",
		"missing/kustomization.yaml":                "resources: [../nothing-here]\n",
	})
	repo, _ = filepath.EvalSymlinks(repo)
	tests := []struct {
		path, root, renderPath string
	}{
		{"deploy/overlays/zone-a", "deploy", "overlays/zone-a"},
		{"apps/deep", ".", "apps/deep"},
		{"self", "self", "."},
		{"plain", "plain", "."},
		{"chart", "chart", "."},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			root, renderPath, err := render.PackRoot(filepath.Join(repo, tt.path), repo)
			if err != nil {
				t.Fatal(err)
			}
			if root != filepath.Join(repo, tt.root) || renderPath != tt.renderPath {
				t.Fatalf("PackRoot = %s, %s; want %s, %s", root, renderPath, tt.root, tt.renderPath)
			}
		})
	}
	errTests := []struct {
		path, boundary string
		target         error
		mentions       []string
	}{
		{"escape", ".", errdef.ErrOutsideRoot, []string{"../../elsewhere"}},
		{"deploy/overlays/zone-a", "deploy/overlays", errdef.ErrOutsideRoot, []string{"../../base"}},
		{"remote", ".", errdef.ErrRemoteReference, []string{"https://github.com/org/repo//base?ref=v1"}},
		{"missing", ".", errdef.ErrNotFound, []string{"../nothing-here"}},
		{"plain", "deploy", errdef.ErrOutsideRoot, nil},
	}
	for _, tt := range errTests {
		t.Run("error "+tt.path, func(t *testing.T) {
			_, _, err := render.PackRoot(filepath.Join(repo, tt.path), filepath.Join(repo, tt.boundary))
			wantErr(t, err, tt.target, tt.mentions...)
		})
	}
}

func TestPackRootExample(t *testing.T) {
	examples, _ := filepath.Abs("../../examples")
	examples, _ = filepath.EvalSymlinks(examples)
	root, renderPath, err := render.PackRoot(filepath.Join(examples, "kustomize/overlays/zone-a"), examples)
	if err != nil || root != filepath.Join(examples, "kustomize") || renderPath != "overlays/zone-a" {
		t.Fatalf("PackRoot = %s, %s, %v", root, renderPath, err)
	}
}
