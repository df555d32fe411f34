package zones

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// world is the two-zone world every scenario runs in, started once by TestMain.
var world *World

// TestMain starts the world when GITLESS_ZONES is set (make e2e-zones sets it to "required"), runs
// the scenarios and stops every process, also when the run is interrupted.
func TestMain(m *testing.M) {
	mode := os.Getenv("GITLESS_ZONES")
	if mode == "" {
		fmt.Println("zones: skipped: set GITLESS_ZONES=1 or run make e2e-zones (it builds the world into bin/)")
		os.Exit(m.Run())
	}
	root, _ := filepath.Abs(filepath.Join("..", "..", ".."))
	bin := os.Getenv("GITLESS_BIN_DIR")
	if bin == "" {
		bin = filepath.Join(root, "bin")
	}
	dir, err := os.MkdirTemp("", "gitless-zones-")
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	start := time.Now()
	w, err := Start(ctx, Options{Dir: dir, BinDir: bin, RepoRoot: root, Zones: []string{"zone-a", "zone-b"}})
	cancel()
	if errors.Is(err, ErrMissing) && mode != "required" {
		fmt.Println("zones: skipped:", err)
		os.Exit(m.Run())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "zones: starting the world:", err, "\nlogs in", dir)
		os.Exit(1)
	}
	fmt.Printf("zones: world up in %s (logs in %s)\n", time.Since(start).Round(time.Second), dir)
	world = w
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() { <-sig; w.Stop(); os.Exit(130) }()
	code := m.Run()
	w.Stop()
	if code == 0 && os.Getenv("GITLESS_ZONES_KEEP") == "" {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

func needWorld(t *testing.T) *World {
	t.Helper()
	if world == nil {
		t.Skip("the two-zone world is not running: GITLESS_ZONES unset, or its parts are missing (see the zones: line above; make e2e-zones builds them)")
	}
	if err := world.Check(); err != nil {
		t.Fatal(err)
	}
	return world
}
