package artifact_test

import (
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gitless-dev/gitless/pkg/artifact"
)

func TestList(t *testing.T) {
	for _, tg := range targets(t, "list/app") {
		t.Run(tg.name, func(t *testing.T) {
			signed, err := artifact.Publish(ctx(t), tg.repo, tg.ref, example(t, "plain"), []string{"1.0.0", "latest"},
				artifact.PublishOptions{Created: fixedCreated})
			if err != nil {
				t.Fatal(err)
			}
			unsigned, err := artifact.Publish(ctx(t), tg.repo, tg.ref, example(t, "plain/service.yaml"), []string{"0.9.0"},
				artifact.PublishOptions{Created: fixedCreated})
			if err != nil {
				t.Fatal(err)
			}
			subject := ocispec.Descriptor{MediaType: signed.MediaType, Digest: signed.Digest, Size: signed.Size}
			tagLegacySignature(t, tg.repo, subject)
			attachReferrer(t, tg.repo, ocispec.Descriptor{MediaType: unsigned.MediaType, Digest: unsigned.Digest, Size: unsigned.Size},
				"application/spdx+json") // an SBOM is no signature

			rows, err := artifact.List(ctx(t), tg.repo, artifact.ListOptions{})
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			var got []string
			for _, r := range rows {
				got = append(got, r.Tag)
				wantSigned := r.Digest == signed.Digest.String()
				if r.Signed != wantSigned {
					t.Errorf("%s signed = %v, want %v", r.Tag, r.Signed, wantSigned)
				}
				if r.Kind != "plain" || r.Created != "2026-01-02T03:04:05Z" {
					t.Errorf("%s kind %q created %q", r.Tag, r.Kind, r.Created)
				}
			}
			if strings.Join(got, ",") != "0.9.0,1.0.0,latest" {
				t.Errorf("tags = %v, want attachment tags hidden", got)
			}

			all, err := artifact.List(ctx(t), tg.repo, artifact.ListOptions{All: true})
			if err != nil {
				t.Fatal(err)
			}
			var sig *artifact.TagInfo
			for i, r := range all {
				if r.Tag == artifact.LegacyTag(subject, ".sig") {
					sig = &all[i]
				}
			}
			if sig == nil {
				t.Fatalf("--all does not show the .sig tag: %+v", all)
			}
			if sig.Kind != artifact.LabelCosignSignature {
				t.Errorf(".sig tag kind = %q", sig.Kind)
			}
			if len(all) <= len(rows) {
				t.Errorf("--all shows %d rows, default %d", len(all), len(rows))
			}
		})
	}
}
