package kustomize

import (
	"errors"
	"testing"

	"sigs.k8s.io/kustomize/api/types"

	"github.com/gitless-dev/gitless/pkg/render/errdef"
)

func TestParseImage(t *testing.T) {
	tests := []struct {
		spec string
		want types.Image
	}{
		{"nginx=registry/nginx:1.2", types.Image{Name: "nginx", NewName: "registry/nginx", NewTag: "1.2"}},
		{"nginx=registry:5000/nginx", types.Image{Name: "nginx", NewName: "registry:5000/nginx"}},
		{"nginx=registry/nginx@sha256:abc", types.Image{Name: "nginx", NewName: "registry/nginx", Digest: "sha256:abc"}},
		{"nginx:1.27", types.Image{Name: "nginx", NewTag: "1.27"}},
		{"ghcr.io/org/app@sha256:abc", types.Image{Name: "ghcr.io/org/app", Digest: "sha256:abc"}},
		{"localhost:5000/app:v2", types.Image{Name: "localhost:5000/app", NewTag: "v2"}},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			got, err := ParseImage(tt.spec)
			if err != nil || got != tt.want {
				t.Fatalf("ParseImage = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "=x:1", "nginx="} {
		if _, err := ParseImage(bad); !errors.Is(err, errdef.ErrInvalidOption) {
			t.Errorf("ParseImage(%q) = %v, want ErrInvalidOption", bad, err)
		}
	}
}
