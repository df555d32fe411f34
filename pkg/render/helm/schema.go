package helm

import (
	"encoding/json"
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/chart"

	"github.com/gitless-dev/gitless/pkg/render/errdef"
)

// metaSchemas are the $schema values the JSON Schema library knows without loading anything.
var metaSchemas = map[string]bool{
	"json-schema.org/schema":                true,
	"json-schema.org/draft-04/schema":       true,
	"json-schema.org/draft-06/schema":       true,
	"json-schema.org/draft-07/schema":       true,
	"json-schema.org/draft/2019-09/schema":  true,
	"json-schema.org/draft/2020-12/schema":  true,
	"json-schema.org/draft-04/hyper-schema": true,
}

// checkSchemas refuses values.schema.json files, of ch and its subcharts, that make Helm load
// another document: Helm validates values with loaders for http, https and file URLs, so a
// reference such as {"$ref": "file:///etc/passwd"} or {"$ref": "http://169.254.169.254/"} (or a
// relative one, which resolves against file:///values.schema.json) would read the host or the
// network. References inside the document ("#/definitions/x") stay allowed.
func checkSchemas(ch *chart.Chart) error {
	if len(ch.Schema) > 0 {
		var doc any
		if err := json.Unmarshal(ch.Schema, &doc); err != nil {
			return nil // Helm reports the broken schema itself
		}
		if err := checkSchemaNode(doc); err != nil {
			return fmt.Errorf("chart %s: values.schema.json %w", ch.Name(), err)
		}
	}
	for _, sub := range ch.Dependencies() {
		if err := checkSchemas(sub); err != nil {
			return err
		}
	}
	return nil
}

func checkSchemaNode(n any) error {
	switch v := n.(type) {
	case map[string]any:
		for key, val := range v {
			s, isString := val.(string)
			switch {
			case isString && (key == "$ref" || key == "$dynamicRef" || key == "$recursiveRef") && !strings.HasPrefix(s, "#"):
				return fmt.Errorf("%s %q: %w (only references inside the schema, starting with \"#\", are allowed)", key, s, errdef.ErrRemoteReference)
			case isString && key == "$schema" && !isMetaSchema(s):
				return fmt.Errorf("$schema %q: %w (only the published JSON Schema drafts are allowed)", s, errdef.ErrRemoteReference)
			}
			if err := checkSchemaNode(val); err != nil {
				return err
			}
		}
	case []any:
		for _, val := range v {
			if err := checkSchemaNode(val); err != nil {
				return err
			}
		}
	}
	return nil
}

func isMetaSchema(s string) bool {
	s = strings.TrimSuffix(s, "#")
	for _, scheme := range []string{"https://", "http://"} {
		if rest, ok := strings.CutPrefix(s, scheme); ok {
			return metaSchemas[rest]
		}
	}
	return false
}
