package artifact

import (
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestVolumeSnippet(t *testing.T) {
	ref := "hub.example.com/platform/My_Config@sha256:" + strings.Repeat("a", 64)
	got, err := VolumeSnippet(Published{Reference: ref, Kind: KindPlain, Layer: ocispec.Descriptor{MediaType: MediaTypeLayer}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"name: my-config", "reference: " + ref, "mountPath: /etc/my-config", "readOnly: true"} {
		if !strings.Contains(got, want) {
			t.Errorf("snippet lacks %q:\n%s", want, got)
		}
	}
	for _, p := range []Published{
		{Reference: ref, Kind: KindHelm, Layer: ocispec.Descriptor{MediaType: MediaTypeHelmChart}},
	} {
		if _, err := VolumeSnippet(p); err == nil || !strings.Contains(err.Error(), "image volume mounts only") {
			t.Errorf("%s layer: %v, want a refusal naming the image form", p.Layer.MediaType, err)
		}
	}
}
