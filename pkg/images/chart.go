package images

import (
	"fmt"

	"sigs.k8s.io/yaml"
)

// Chart annotations that list a chart's images in Artifact Hub's format: a YAML list of
// {name, image, platforms, whitelisted}. Helm's own key and Artifact Hub's are both read.
// Reference: https://artifacthub.io/docs/topics/annotations/helm/
const (
	AnnotationHelmImages        = "helm.sh/images"
	AnnotationArtifactHubImages = "artifacthub.io/images"
)

// Source kinds of references not found in a rendered object.
const (
	// SourceFlag marks a reference given with `publish --image`.
	SourceFlag = "--image"
)

type chartImage struct {
	Name  string `json:"name"`
	Image string `json:"image"`
}

// FromChartAnnotations returns the images a chart's annotations list; chart names the chart in the
// sources. A malformed annotation is an error naming it.
func FromChartAnnotations(chart string, annotations map[string]string) ([]Found, error) {
	var out []Found
	for _, key := range []string{AnnotationHelmImages, AnnotationArtifactHubImages} {
		raw, ok := annotations[key]
		if !ok {
			continue
		}
		var list []chartImage
		if err := yaml.Unmarshal([]byte(raw), &list); err != nil {
			return nil, fmt.Errorf("chart %s annotation %s: %v (a YAML list of {name, image})", chart, key, err)
		}
		for i, im := range list {
			if im.Image == "" {
				return nil, fmt.Errorf("chart %s annotation %s: entry %d has no image", chart, key, i)
			}
			name := im.Name
			if name == "" {
				name = fmt.Sprint(i)
			}
			out = append(out, Found{Ref: im.Image, Source: Source{Kind: key, Name: chart, Field: name}})
		}
	}
	return out, nil
}

// FromFlags returns the references given with `publish --image`.
func FromFlags(refs []string) []Found {
	out := make([]Found, 0, len(refs))
	for _, r := range refs {
		out = append(out, Found{Ref: r, Source: Source{Kind: SourceFlag}})
	}
	return out
}
