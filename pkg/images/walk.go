package images

import (
	"fmt"

	yaml "go.yaml.in/yaml/v3"
)

// Found is one image reference in a rendered object, with the YAML node that holds it (the scalar
// a rewrite replaces).
type Found struct {
	Ref    string
	Source Source
	Node   *yaml.Node
}

// podSpecPaths are where the workload kinds keep their pod spec; every other kind gets the generic walk.
var podSpecPaths = map[string][]string{
	"Pod":                   {"spec"},
	"Deployment":            {"spec", "template", "spec"},
	"StatefulSet":           {"spec", "template", "spec"},
	"DaemonSet":             {"spec", "template", "spec"},
	"ReplicaSet":            {"spec", "template", "spec"},
	"ReplicationController": {"spec", "template", "spec"},
	"Job":                   {"spec", "template", "spec"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template", "spec"},
	"PodTemplate":           {"template", "spec"},
}

// containerLists are the pod spec's lists of containers; the generic walk of other kinds looks for
// the first two anywhere, as kustomize's image transformer does.
var containerLists = []string{"containers", "initContainers", "ephemeralContainers"}

// FindInObject returns the image references of one object (a YAML document's root mapping): for the
// workload kinds the containers, init and ephemeral containers of the pod spec and its image volumes
// (volumes[].image.reference); for any other kind every `containers` or `initContainers` list, at any
// depth, whose items have an `image`.
func FindInObject(doc *yaml.Node) []Found {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return nil
	}
	kind := scalar(lookup(doc, "kind"))
	meta := lookup(doc, "metadata")
	src := Source{Kind: kind, Name: scalar(lookup(meta, "name")), Namespace: scalar(lookup(meta, "namespace"))}
	if path, ok := podSpecPaths[kind]; ok {
		spec := doc
		for _, k := range path {
			spec = lookup(spec, k)
		}
		return findInPodSpec(spec, joinPath(path), src)
	}
	var out []Found
	walkGeneric(doc, "", src, &out)
	return out
}

func findInPodSpec(spec *yaml.Node, prefix string, src Source) []Found {
	if spec == nil || spec.Kind != yaml.MappingNode {
		return nil
	}
	var out []Found
	for _, list := range containerLists {
		out = append(out, findInContainers(lookup(spec, list), prefix+"."+list, src)...)
	}
	volumes := lookup(spec, "volumes")
	if volumes == nil || volumes.Kind != yaml.SequenceNode {
		return out
	}
	for i, v := range volumes.Content {
		ref := lookup(lookup(v, "image"), "reference")
		if isString(ref) {
			out = append(out, found(ref, src, fmt.Sprintf("%s.volumes[%s].image.reference", prefix, itemName(v, i))))
		}
	}
	return out
}

func findInContainers(list *yaml.Node, path string, src Source) []Found {
	if list == nil || list.Kind != yaml.SequenceNode {
		return nil
	}
	var out []Found
	for i, c := range list.Content {
		if img := lookup(c, "image"); isString(img) {
			out = append(out, found(img, src, fmt.Sprintf("%s[%s].image", path, itemName(c, i))))
		}
	}
	return out
}

// walkGeneric finds containers and initContainers lists anywhere under n (custom resources that
// embed pod specs: Argo Rollouts, Knative Services, operators' resources).
func walkGeneric(n *yaml.Node, path string, src Source, out *[]Found) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i].Value, n.Content[i+1]
			p := joinPath([]string{path, key})
			if (key == "containers" || key == "initContainers") && val.Kind == yaml.SequenceNode {
				*out = append(*out, findInContainers(val, p, src)...)
				continue
			}
			walkGeneric(val, p, src, out)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			walkGeneric(item, fmt.Sprintf("%s[%d]", path, i), src, out)
		}
	}
}

func found(n *yaml.Node, src Source, field string) Found {
	src.Field = field
	return Found{Ref: n.Value, Source: src, Node: n}
}

// itemName names a list item by its name field, else by its index.
func itemName(item *yaml.Node, i int) string {
	if name := scalar(lookup(item, "name")); name != "" {
		return name
	}
	return fmt.Sprint(i)
}

func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

func isString(n *yaml.Node) bool {
	return n != nil && n.Kind == yaml.ScalarNode && n.Value != "" && (n.Tag == "!!str" || n.ShortTag() == "!!str")
}

func joinPath(parts []string) string {
	s := ""
	for _, p := range parts {
		switch {
		case p == "":
		case s == "":
			s = p
		default:
			s += "." + p
		}
	}
	return s
}
