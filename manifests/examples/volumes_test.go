package examples_test

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/artifact"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// placeholderDigest stands in the volume examples for the digest publish prints.
const placeholderDigest = "sha256:0000000000000000000000000000000000000000000000000000000000000000"

// TestExampleImageVolumes publishes examples/plain as the volume examples name it, and checks that the
// Pod and the Deployment (decoded strictly as Kubernetes objects) carry exactly the volume and mount
// that `kubectl gitless publish --print-volume` prints for it.
func TestExampleImageVolumes(t *testing.T) {
	hub := testregistry.New(t, testregistry.Referrers)
	opts := registry.DefaultOptions()
	opts.PlainHTTP = true
	ref, err := registry.ParseReference(hub.Host + "/platform/plain:1.0.0")
	must(t, err)
	repo, err := opts.Open(ref)
	must(t, err)
	pub, err := artifact.Publish(context.Background(), repo, ref, "../../examples/plain", []string{"1.0.0"}, artifact.PublishOptions{Created: time.Unix(1700000000, 0)})
	must(t, err)
	snippet, err := artifact.VolumeSnippet(pub)
	must(t, err)
	var want struct {
		Volumes      []corev1.Volume      `json:"volumes"`
		VolumeMounts []corev1.VolumeMount `json:"volumeMounts"`
	}
	if err := yaml.UnmarshalStrict([]byte(snippet), &want); err != nil {
		t.Fatalf("--print-volume output: %v\n%s", err, snippet)
	}

	read := func(file string, into any) {
		raw, err := os.ReadFile(file)
		must(t, err)
		doc := strings.ReplaceAll(string(raw), "hub.example.com/platform/plain@"+placeholderDigest, pub.Reference)
		if err := yaml.UnmarshalStrict([]byte(doc), into); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	var pod corev1.Pod
	read("volumes/pod.yaml", &pod)
	var deploy appsv1.Deployment
	read("volumes/deployment.yaml", &deploy)
	for name, spec := range map[string]corev1.PodSpec{"volumes/pod.yaml": pod.Spec, "volumes/deployment.yaml": deploy.Spec.Template.Spec} {
		if !reflect.DeepEqual(spec.Volumes, want.Volumes) {
			t.Errorf("%s volumes %+v, want what --print-volume prints: %+v", name, spec.Volumes, want.Volumes)
		}
		if len(spec.Containers) != 1 || !reflect.DeepEqual(spec.Containers[0].VolumeMounts, want.VolumeMounts) {
			t.Errorf("%s volumeMounts differ from what --print-volume prints:\n%s", name, snippet)
		}
	}
}
