package cmd

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestValueFilesAreChartRelative(t *testing.T) {
	for name, layout := range map[string]string{"chart at the root": ".", "chart archive layout": "guestbook"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			chart := filepath.Join(dir, layout)
			for _, f := range []string{"Chart.yaml", "values.yaml", "values-prod.yaml", "env/values-zone-a.yaml", "charts/redis/values-x.yaml"} {
				p := filepath.Join(chart, f)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte("a: 1\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got := valueFiles(dir)
			want := []string{"env/values-zone-a.yaml", "values-prod.yaml"}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("valueFiles = %v, want %v", got, want)
			}
		})
	}
}

func TestAnnouncementNames(t *testing.T) {
	var names []string
	for _, a := range announce(t.TempDir()) {
		names = append(names, a.Name)
	}
	want := []string{"ref", "valueFiles", "values", "set", "releaseName", "namespace", "images", "namePrefix", "nameSuffix"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("announced %v, want %v", names, want)
	}
}
