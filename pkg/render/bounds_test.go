package render_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gitless-dev/gitless/pkg/archive"
	"github.com/gitless-dev/gitless/pkg/render"
	"github.com/gitless-dev/gitless/pkg/render/errdef"
)

// aliasBomb is a 400-byte "billion laughs": nine levels of nine aliases, 9^9 strings expanded.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\n  annotations:\n")
	b.WriteString("    a0: &a0 [lol]\n")
	for i := 1; i <= 9; i++ {
		refs := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d,", i-1), 9), ",")
		fmt.Fprintf(&b, "    a%d: &a%d [%s]\n", i, i, refs)
	}
	return b.String()
}

func chart(template string) map[string]string {
	return map[string]string{
		"Chart.yaml":          "apiVersion: v2\nname: app\nversion: 0.1.0\n",
		"templates/loop.yaml": template,
	}
}

// heapGrowth runs f and reports how far the heap grew beyond where it started.
func heapGrowth(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	if after.TotalAlloc < before.TotalAlloc {
		return 0
	}
	return after.TotalAlloc - before.TotalAlloc
}

func TestRenderBounds(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		opts    render.Options
		timeout time.Duration
		target  error
	}{
		{"kustomize alias bomb", map[string]string{"kustomization.yaml": "resources: [lol.yaml]\n", "lol.yaml": aliasBomb()},
			render.Options{}, time.Minute, errdef.ErrYAMLAliases},
		{"kustomize alias bomb through a generator file", map[string]string{"kustomization.yaml": "generators: [lol.yaml]\n", "lol.yaml": aliasBomb()},
			render.Options{}, time.Minute, errdef.ErrYAMLAliases},
		{"helm loop ended by the deadline", chart("{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}"),
			render.Options{}, 2 * time.Second, context.DeadlineExceeded},
		{"helm loop beyond the memory limit", chart("{{ range until 100000000 }}{{ end }}"),
			render.Options{MaxMemory: 256 << 20}, time.Minute, errdef.ErrOutOfMemory},
		{"output over the cap", map[string]string{"cm.yaml": fmt.Sprintf(configMap, "big") + "data:\n  k: " + strings.Repeat("x", 4096) + "\n"},
			render.Options{MaxOutputSize: 1024}, time.Minute, errdef.ErrOutputTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := writeTree(t, tt.files)
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			var out bytes.Buffer
			start := time.Now()
			var err error
			grew := heapGrowth(func() { err = render.Render(ctx, root, tt.opts, &out) })
			if !errors.Is(err, tt.target) {
				t.Fatalf("Render = %v, want %v", err, tt.target)
			}
			if out.Len() != 0 {
				t.Fatalf("output on error: %d bytes", out.Len())
			}
			if d := time.Since(start); d > tt.timeout+10*time.Second {
				t.Fatalf("took %v", d)
			}
			if grew > 64<<20 {
				t.Fatalf("the parent allocated %d MiB", grew>>20)
			}
			t.Logf("%v after %v: %v", tt.target, time.Since(start).Round(time.Millisecond), err)
		})
	}
}

// TestKustomizeAliasBombInProcess checks the alias guard itself, without the child process.
func TestKustomizeAliasBombInProcess(t *testing.T) {
	root := writeTree(t, map[string]string{"kustomization.yaml": "resources: [lol.yaml]\n", "lol.yaml": aliasBomb()})
	var err error
	grew := heapGrowth(func() { _, err = render.Objects(context.Background(), root, render.Options{}) })
	wantErr(t, err, errdef.ErrYAMLAliases, "lol.yaml")
	if grew > 64<<20 {
		t.Fatalf("allocated %d MiB refusing a %d-byte file", grew>>20, len(aliasBomb()))
	}
}

// TestKustomizeAliasesAllowed keeps ordinary anchors working.
func TestKustomizeAliasesAllowed(t *testing.T) {
	root := writeTree(t, map[string]string{"kustomization.yaml": "resources: [cm.yaml]\n",
		"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  labels: &l {app: web}\n  annotations: *l\n"})
	objs := mustObjects(t, root, render.Options{})
	if got := objs[0].GetAnnotations()["app"]; got != "web" {
		t.Fatalf("annotation app = %q, want web", got)
	}
}

// tgz packs files into a gzip-compressed tar the way `helm package` does.
func tgz(t *testing.T, files map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	if _, err := archive.Pack(context.Background(), writeTree(t, files), &buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestHelmSubchartArchiveLimits(t *testing.T) {
	sub := func(size int) map[string]string {
		return map[string]string{
			"sub/Chart.yaml":        "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
			"sub/templates/cm.yaml": fmt.Sprintf(configMap, "sub") + "data:\n  k: " + strings.Repeat("x", size) + "\n",
		}
	}
	parent := func(archive string) map[string]string {
		return map[string]string{
			"Chart.yaml":      "apiVersion: v2\nname: app\nversion: 0.1.0\n",
			"charts/sub.tgz":  archive,
			"templates/.keep": "",
		}
	}
	small := tgz(t, sub(10))
	nested := tgz(t, map[string]string{
		"mid/Chart.yaml": "apiVersion: v2\nname: mid\nversion: 0.1.0\n", "mid/charts/sub.tgz": tgz(t, sub(20000)),
	})
	limits := archive.Limits{MaxExtractedSize: 8 << 10}
	tests := []struct {
		name   string
		files  map[string]string
		target error
	}{
		{"within the limits", parent(small), nil},
		{"oversized subchart", parent(tgz(t, sub(20000))), errdef.ErrLimitExceeded},
		{"oversized subchart inside a subchart archive", parent(nested), errdef.ErrLimitExceeded},
		{"subchart with an escaping link", parent(string(craftedLinkArchive(t))), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := render.Render(context.Background(), writeTree(t, tt.files), render.Options{SubchartLimits: limits}, &out)
			switch {
			case tt.name == "subchart with an escaping link":
				wantErr(t, err, nil, "sub.tgz")
			case tt.target == nil && (err != nil || !strings.Contains(out.String(), "name: sub")):
				t.Fatalf("Render = %v, output %q; want the subchart's ConfigMap", err, out.String())
			case tt.target != nil:
				wantErr(t, err, tt.target, "sub.tgz")
			}
		})
	}
}

// craftedLinkArchive is a subchart archive holding a symlink that leaves it.
func craftedLinkArchive(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	chartYAML := "apiVersion: v2\nname: sub\nversion: 0.1.0\n"
	for _, h := range []*tar.Header{
		{Name: "sub/Chart.yaml", Mode: 0o644, Size: int64(len(chartYAML)), Typeflag: tar.TypeReg},
		{Name: "sub/templates/x.yaml", Typeflag: tar.TypeSymlink, Linkname: "../../../../../etc/passwd"},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write([]byte(chartYAML))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return buf.Bytes()
}
