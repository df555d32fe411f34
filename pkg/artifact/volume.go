package artifact

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// VolumeSnippet is the Pod spec fragment that mounts a published artifact read-only as a Kubernetes
// image volume (volumes[].image, KEP-4639: beta in 1.33, on by default from 1.35): the volume pinned by
// digest, and the container's mount. Only the default image form mounts: the runtime unpacks the
// image's layers, and a Helm chart's or an --format artifact manifest has none it unpacks.
// Reference: https://kubernetes.io/docs/concepts/storage/volumes/#image
func VolumeSnippet(p Published) (string, error) {
	if p.Layer.MediaType != MediaTypeLayer || p.Kind == KindHelm {
		return "", fmt.Errorf("%s is a %s artifact with a %s layer: an image volume mounts only the default image form (publish without --format artifact; a chart directory cannot be mounted)", p.Reference, p.Kind, p.Layer.MediaType)
	}
	repo, _, _ := strings.Cut(p.Reference, "@")
	name := volumeName(path.Base(repo))
	return fmt.Sprintf(`# Mount %s read-only in a Pod (Kubernetes image volumes; the tree as published, under mountPath).
volumes:
  - name: %s
    image:
      reference: %s
      pullPolicy: IfNotPresent
# and in the container:
volumeMounts:
  - name: %s
    mountPath: /etc/%s
    readOnly: true
`, repo, name, p.Reference, name, name), nil
}

var notDNSLabel = regexp.MustCompile(`[^a-z0-9-]+`)

// volumeName makes a DNS label of the repository's last path element.
func volumeName(s string) string {
	s = strings.Trim(notDNSLabel.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 63 {
		s = strings.Trim(s[:63], "-")
	}
	if s == "" {
		return "config"
	}
	return s
}
