// Package manifest turns YAML streams into Kubernetes objects and back, the same way for every
// renderer, so that their outputs compare and serialise identically.
package manifest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/gitless-dev/gitless/pkg/render/errdef"
)

// Separator is written between two documents of a rendered stream.
const Separator = "---\n"

// Decode parses every document of a YAML (or JSON) stream into objects. Empty documents are
// skipped and List kinds are flattened into their items. source names the stream in errors.
func Decode(r io.Reader, source string) ([]*unstructured.Unstructured, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(r))
	var objs []*unstructured.Unstructured
	for index := 0; ; index++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s document %d: %w", source, index, err)
		}
		decoded, err := decodeDocument(doc)
		if err != nil {
			return nil, fmt.Errorf("decoding %s document %d: %w", source, index, err)
		}
		objs = append(objs, decoded...)
	}
}

// decodeDocument parses one document; nil means an empty document.
func decodeDocument(doc []byte) ([]*unstructured.Unstructured, error) {
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return nil, err
	}
	js = bytes.TrimSpace(js)
	if len(js) == 0 || string(js) == "null" {
		return nil, nil
	}
	var obj map[string]interface{}
	if err := utiljson.Unmarshal(js, &obj); err != nil {
		return nil, fmt.Errorf("%w: document is not a mapping", errdef.ErrNotKubernetes)
	}
	return flatten(obj)
}

// flatten checks obj and returns it, or its items when it is a List kind.
func flatten(obj map[string]interface{}) ([]*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{Object: obj}
	if u.GetAPIVersion() == "" || u.GetKind() == "" {
		return nil, errdef.ErrNotKubernetes
	}
	items, isList := obj["items"].([]interface{})
	if !isList || !strings.HasSuffix(u.GetKind(), "List") {
		return []*unstructured.Unstructured{u}, nil
	}
	var out []*unstructured.Unstructured
	for i, item := range items {
		m, ok := item.(map[string]interface{})
		if !ok {
			return nil, fmt.Errorf("flattening item %d of %s: %w", i, u.GetKind(), errdef.ErrNotKubernetes)
		}
		flat, err := flatten(m)
		if err != nil {
			return nil, fmt.Errorf("flattening item %d of %s: %w", i, u.GetKind(), err)
		}
		out = append(out, flat...)
	}
	return out, nil
}

// Encode writes objs as a YAML stream, documents separated by Separator. Keys come out sorted,
// so equal objects always give equal bytes.
func Encode(w io.Writer, objs []*unstructured.Unstructured) error {
	for i, obj := range objs {
		out, err := yaml.Marshal(obj.Object)
		if err != nil {
			return fmt.Errorf("encoding %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
		if i > 0 {
			out = append([]byte(Separator), out...)
		}
		if _, err := w.Write(out); err != nil {
			return fmt.Errorf("writing %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
	}
	return nil
}
