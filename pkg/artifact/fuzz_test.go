package artifact

import (
	"path"
	"strings"
	"testing"
)

// FuzzParseManifest feeds arbitrary documents to the manifest parser and locator: they must never
// panic, never accept a document that is both a manifest and an index, and never return a render path
// that leaves the artifact.
func FuzzParseManifest(f *testing.F) {
	seeds := []string{
		`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}],"annotations":{"dev.gitless.content.kind":"kustomize","dev.gitless.render.path":"overlays/a"}}`,
		`{"schemaVersion":2,"config":{"mediaType":"application/vnd.cncf.helm.config.v1+json"},"layers":[{"mediaType":"application/vnd.cncf.helm.chart.content.v1.tar+gzip"}]}`,
		`{"schemaVersion":2,"config":{"mediaType":"application/vnd.cncf.flux.config.v1+json"},"layers":[{"mediaType":"application/vnd.cncf.flux.content.v1.tar+gzip"}]}`,
		`{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.empty.v1+json"},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","annotations":{"io.deis.oras.content.unpack":"true","org.opencontainers.image.title":"../x"}}]}`,
		`{"schemaVersion":2,"manifests":[],"layers":[],"config":{}}`,
		`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`,
		`{"config":{"mediaType":"x"},"layers":[{"annotations":{"org.opencontainers.image.title":"a.yaml"}}],"annotations":{"dev.gitless.render.path":"/../../etc"}}`,
		`null`, `[]`, `{`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := ParseManifest(raw)
		if err != nil {
			return
		}
		c, err := Locate(m)
		if err != nil {
			return
		}
		rp := c.RenderPath
		if rp == "" || path.IsAbs(rp) || rp == ".." || strings.HasPrefix(rp, "../") || path.Clean(rp) != rp {
			t.Fatalf("render path %q escapes or is not clean", rp)
		}
	})
}
