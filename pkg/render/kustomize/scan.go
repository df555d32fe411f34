package kustomize

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/gitless-dev/gitless/pkg/render/errdef"
)

// MaxExpandedNodes bounds the YAML nodes one document may stand for once its aliases are
// expanded. kyaml copies the target of every alias (DeAnchor), so a 400-byte document of nested
// aliases ("billion laughs") would otherwise take gigabytes. Aliases themselves stay allowed,
// because hand-written manifests use them; a million nodes is far above any real manifest.
const MaxExpandedNodes = 1 << 20

// builtinConfigKinds are the kinds of kustomize's built-in generators and transformers, whose
// configurations (inline in a kustomization or in a file that generators, transformers or
// validators name) can make krusty load a file.
var builtinConfigKinds = map[string]bool{
	"AnnotationsTransformer": true, "ConfigMapGenerator": true, "IAMPolicyGenerator": true,
	"HashTransformer": true, "ImageTagTransformer": true, "LabelTransformer": true,
	"NamespaceTransformer": true, "PatchJson6902Transformer": true,
	"PatchStrategicMergeTransformer": true, "PatchTransformer": true,
	"PrefixSuffixTransformer": true, "PrefixTransformer": true, "SuffixTransformer": true,
	"ReplicaCountTransformer": true, "SecretGenerator": true, "ValueAddTransformer": true,
	"HelmChartInflationGenerator": true, "ReplacementTransformer": true, "SortOrderTransformer": true,
}

// fileKeys are the fields of built-in configurations whose values krusty loads as files.
var fileKeys = map[string]bool{
	"path": true, "paths": true, "files": true, "envs": true, "env": true,
	"valuesFile": true, "additionalValuesFiles": true, "chartHome": true,
}

// scanTree reads every file of the in-memory tree before krusty does. It refuses documents
// whose aliases expand beyond MaxExpandedNodes and built-in generator or transformer
// configurations that name a remote file, wherever they are written: a kustomization's inline
// entries and files alike, so that the check does not depend on how krusty reaches them.
func scanTree(ctx context.Context, fsys filesys.FileSystem) error {
	return fsys.Walk(filesys.Separator, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if info.IsDir() {
			return nil
		}
		data, err := fsys.ReadFile(path)
		if err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
		return scanYAML(data, path)
	})
}

// scanYAML checks each document of data; text that is not YAML is left to krusty, which reads
// such files only as data (generator files) or fails on them.
func scanYAML(data []byte, source string) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) || err != nil {
			return nil
		}
		if n := expandedSize(&doc, map[*yaml.Node]int{}); n > MaxExpandedNodes {
			return fmt.Errorf("%s: %w: a document expands to more than %d nodes through its aliases",
				source, errdef.ErrYAMLAliases, MaxExpandedNodes)
		}
		if err := checkConfig(&doc, source); err != nil {
			return err
		}
	}
}

// expandedSize counts the nodes n stands for with every alias expanded, stopping just above the
// bound; memo holds the count of each node already seen, so the work is linear in the document.
func expandedSize(n *yaml.Node, memo map[*yaml.Node]int) int {
	if n == nil {
		return 0
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if size, ok := memo[n]; ok {
		return size
	}
	memo[n] = MaxExpandedNodes + 1 // an alias to a node being counted is a cycle
	size := 1
	for _, c := range n.Content {
		if size += expandedSize(c, memo); size > MaxExpandedNodes {
			size = MaxExpandedNodes + 1
			break
		}
	}
	memo[n] = size
	return size
}

// checkConfig refuses a built-in generator or transformer configuration that names a remote
// file, and a Helm chart inflation, which needs the helm binary.
func checkConfig(doc *yaml.Node, source string) error {
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	kind := mappingValue(root, "kind")
	if kind == nil || !builtinConfigKinds[kind.Value] {
		return nil
	}
	if kind.Value == "HelmChartInflationGenerator" {
		return fmt.Errorf("%s: %w", source, errdef.ErrHelmChartsInKustomize)
	}
	return checkFileFields(root, source, kind.Value)
}

// checkFileFields walks a configuration and checks the values of its file fields.
func checkFileFields(n *yaml.Node, source, kind string) error {
	if n.Kind != yaml.MappingNode && n.Kind != yaml.SequenceNode {
		return nil
	}
	for i := 0; i < len(n.Content); i++ {
		if n.Kind == yaml.MappingNode && i%2 == 0 && fileKeys[n.Content[i].Value] && i+1 < len(n.Content) {
			if err := checkFileValue(n.Content[i+1], source, kind); err != nil {
				return err
			}
		}
		if err := checkFileFields(n.Content[i], source, kind); err != nil {
			return err
		}
	}
	return nil
}

func checkFileValue(v *yaml.Node, source, kind string) error {
	values := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		values = v.Content
	}
	for _, s := range values {
		if s.Kind != yaml.ScalarNode {
			continue
		}
		ref := s.Value
		if _, path, found := strings.Cut(ref, "="); found {
			ref = path // a generator's "key=path"
		}
		if looksRemote(ref) || looksRemote(s.Value) {
			return fmt.Errorf("%s: %s names %q: %w", source, kind, s.Value, errdef.ErrRemoteReference)
		}
	}
	return nil
}

func mappingValue(m *yaml.Node, key string) *yaml.Node {
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
