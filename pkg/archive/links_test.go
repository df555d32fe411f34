package archive

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chainedLinks builds an archive of n symlinks, each pointing through the
// previous one and then down and back up a long made-up path: the shape that
// makes naive resolution quadratic in the number of links and the length of
// their targets.
func chainedLinks(tb testing.TB, n int) []byte {
	tb.Helper()
	deep := strings.Repeat("x/", 2000)
	entries := []te{symlink("a", deep+"f")}
	for i := range n {
		entries = append(entries, symlink(fmt.Sprintf("l%d", i), "a/"+strings.Repeat("y/", 2000)))
	}
	return gz(tb, makeTar(tb, entries...))
}

func TestExtractChainedLinksBounded(t *testing.T) {
	start := time.Now()
	res, err := Extract(context.Background(), bytes.NewReader(chainedLinks(t, 1000)), filepath.Join(t.TempDir(), "out"))
	if err != nil || len(res.Files) != 1001 {
		t.Fatalf("Extract = %d files, %v; want 1001 files", len(res.Files), err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %v, want well under 10 s (each link resolved once)", d)
	}
	// the same chain refused for leaving the tree at its end, and for its length
	escaping := gz(t, makeTar(t, symlink("a", strings.Repeat("x/", 1000)+strings.Repeat("../", 500)),
		symlink("b", "a/"+strings.Repeat("../", 501))))
	if _, err := Extract(context.Background(), bytes.NewReader(escaping), filepath.Join(t.TempDir(), "out")); !errors.Is(err, ErrUnsafeLink) {
		t.Fatalf("escaping chain: error = %v, want ErrUnsafeLink", err)
	}
	var chain []te
	for i := range 500 {
		chain = append(chain, symlink(fmt.Sprintf("l%03d", i), fmt.Sprintf("l%03d", i+1)))
	}
	_, err = Extract(context.Background(), bytes.NewReader(gz(t, makeTar(t, chain...))), filepath.Join(t.TempDir(), "out"))
	if !errors.Is(err, ErrUnsafeLink) || !strings.Contains(err.Error(), "levels") {
		t.Fatalf("500 chained links: error = %v, want ErrUnsafeLink (too many levels)", err)
	}
}

func TestCheckLinksCanceled(t *testing.T) {
	tr := newTree()
	for i := range 2000 {
		if _, err := tr.add(Entry{Name: fmt.Sprintf("l%d", i), Type: TypeSymlink, Linkname: "x/../y"}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := tr.checkLinks(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("checkLinks = %v, want context.Canceled", err)
	}
}
