// Command fakeplugin stands in for argocd-cmp to prove the cmp-server harness. Built as `argocd-cmp`,
// it implements the same two subcommands:
//
//   - generate: prints two ConfigMaps: one whose data holds the Argo CD environment it received
//     (ARGOCD_*, KUBE_*, PARAM_*, GITLESS_*), one listing the files in its working directory.
//   - parameters: prints a JSON parameter announcement.
//
// Plugin env (Application spec.source.plugin.env) steers it: FAIL=msg exits 1 with msg on stderr and
// nothing on stdout; SLEEP=duration sleeps first; EMPTY=1 prints nothing and exits 0.
package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fail("usage: argocd-cmp generate|parameters")
	}
	if d := os.Getenv("ARGOCD_ENV_SLEEP"); d != "" {
		dur, err := time.ParseDuration(d)
		if err != nil {
			fail(err.Error())
		}
		time.Sleep(dur)
	}
	if msg := os.Getenv("ARGOCD_ENV_FAIL"); msg != "" {
		fail(msg)
	}
	if os.Getenv("ARGOCD_ENV_EMPTY") != "" {
		return
	}
	switch os.Args[1] {
	case "generate":
		generate()
	case "parameters":
		parameters()
	default:
		fail("unknown command " + os.Args[1])
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "fakeplugin:", msg)
	os.Exit(1)
}

func generate() {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		for _, p := range []string{"ARGOCD_", "KUBE_", "PARAM_", "GITLESS_"} {
			if strings.HasPrefix(k, p) {
				env[k] = v
			}
		}
	}
	var files []string
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, filepath.ToSlash(p))
		}
		return err
	})
	if err != nil {
		fail(err.Error())
	}
	sort.Strings(files)
	name := os.Getenv("ARGOCD_APP_NAME")
	printConfigMap(name+"-env", env)
	fmt.Println("---")
	printConfigMap(name+"-files", map[string]string{"files": strings.Join(files, "\n")})
}

func printConfigMap(name string, data map[string]string) {
	cm := map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]any{"name": name, "namespace": os.Getenv("ARGOCD_APP_NAMESPACE")},
		"data":       data,
	}
	out, err := json.MarshalIndent(cm, "", "  ")
	if err != nil {
		fail(err.Error())
	}
	fmt.Println(string(out))
}

func parameters() {
	ann := []map[string]any{
		{"name": "ref", "title": "Artifact reference", "string": os.Getenv("ARGOCD_ENV_GITLESS_REF")},
		{"name": "valueFiles", "title": "Helm value files", "collectionType": "array", "array": []string{"values.yaml"}},
		{"name": "values", "title": "Helm values", "collectionType": "map", "map": map[string]string{}},
		{"name": "releaseName", "title": "Helm release name", "string": os.Getenv("ARGOCD_APP_NAME")},
		{"name": "namespace", "title": "Kustomize namespace"},
		{"name": "images", "title": "Kustomize images", "collectionType": "array"},
	}
	if err := json.NewEncoder(os.Stdout).Encode(ann); err != nil {
		fail(err.Error())
	}
}
