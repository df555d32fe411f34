package cmd

import (
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
)

// announcement is one entry of Argo CD's parameter announcement.
// Reference: https://argo-cd.readthedocs.io/en/stable/operator-manual/config-management-plugins/#write-discovery-rules-for-your-plugin
type announcement struct {
	Name           string   `json:"name"`
	Title          string   `json:"title,omitempty"`
	Tooltip        string   `json:"tooltip,omitempty"`
	Required       bool     `json:"required,omitempty"`
	ItemType       string   `json:"itemType,omitempty"`
	CollectionType string   `json:"collectionType,omitempty"`
	String         string   `json:"string,omitempty"`
	Array          []string `json:"array,omitempty"`
}

func newParametersCmd(out io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "parameters",
		Short: "Print the parameter announcement that the Argo CD UI shows for this plugin",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			enc := json.NewEncoder(out)
			return enc.Encode(announce("."))
		},
	}
}

func announce(dir string) []announcement {
	return []announcement{
		{Name: "ref", Title: "Artifact", Tooltip: "registry/repo:tag or registry/repo@sha256:...; empty uses the Application's oci:// source", ItemType: "string", CollectionType: "string"},
		{Name: "valueFiles", Title: "Helm value files", Tooltip: "values files inside the artifact, applied in order", ItemType: "string", CollectionType: "array", Array: valueFiles(dir)},
		{Name: "values", Title: "Helm values (YAML)", Tooltip: "inline values YAML as one string, applied after the value files; key=value overrides go in set", ItemType: "string", CollectionType: "string"},
		{Name: "set", Title: "Helm --set values", Tooltip: "a map of key: value overrides, applied last", ItemType: "string", CollectionType: "map"},
		{Name: "releaseName", Title: "Helm release name", Tooltip: "default: the Application name", ItemType: "string", CollectionType: "string"},
		{Name: "namespace", Title: "Namespace", Tooltip: "Helm release namespace / Kustomize namespace; default: the Application namespace", ItemType: "string", CollectionType: "string"},
		{Name: "images", Title: "Kustomize images", Tooltip: "overrides like nginx=registry/nginx:1.27", ItemType: "string", CollectionType: "array"},
		{Name: "namePrefix", Title: "Kustomize name prefix", ItemType: "string", CollectionType: "string"},
		{Name: "nameSuffix", Title: "Kustomize name suffix", ItemType: "string", CollectionType: "string"},
	}
}

var valuesFile = regexp.MustCompile(`^values.*\.ya?ml$`)

// valueFiles lists the values files in the directory Argo CD streamed (its own unverified extraction of
// an OCI source). They serve only as hints in the UI; generate never reads those files.
func valueFiles(dir string) []string {
	// Argo CD extracts a chart archive as <name>/Chart.yaml; valueFiles are relative to the chart
	if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err != nil {
		if subs, _ := filepath.Glob(filepath.Join(dir, "*", "Chart.yaml")); len(subs) == 1 {
			dir = filepath.Dir(subs[0])
		}
	}
	var files []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || len(files) >= 50 {
			return filepath.SkipDir
		}
		if d.IsDir() && (d.Name() == "charts" || strings.HasPrefix(d.Name(), ".") && p != dir) {
			return filepath.SkipDir
		}
		if !d.IsDir() && valuesFile.MatchString(d.Name()) && d.Name() != "values.yaml" {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	return files
}
