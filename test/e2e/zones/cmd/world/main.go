// Command world starts the two-zone world for a look around and stops it on Ctrl-C:
//
//	cd test/e2e && go run ./zones/cmd/world [-dir DIR]
//
// It prints the kubeconfig (one context per zone), the registries and the keys; see the README's
// "Two zones with a real Argo CD each".
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/gitless-dev/gitless/test/e2e/zones"
)

func main() {
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	dir := flag.String("dir", "", "where the processes keep data and logs (default: a new temporary directory)")
	bin := flag.String("bin", filepath.Join(root, "bin"), "directory of the binaries (scripts/zones-build.sh fills it)")
	flag.Parse()
	if err := run(*dir, *bin, root); err != nil {
		fmt.Fprintln(os.Stderr, "world:", err)
		os.Exit(1)
	}
}

func run(dir, bin, root string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "gitless-zones-"); err != nil {
			return err
		}
	}
	w, err := zones.Start(ctx, zones.Options{Dir: dir, BinDir: bin, RepoRoot: root, Zones: []string{"zone-a", "zone-b"}})
	if err != nil {
		return err
	}
	defer w.Stop()
	fmt.Printf("export KUBECONFIG=%s   # contexts: zone-a, zone-b\n", w.Kubeconfig)
	fmt.Printf("hub registry: %s; keys: %s (COSIGN_PASSWORD=zones)\n", w.Hub.Host, w.Keys)
	for _, z := range w.Zones {
		fmt.Printf("%s: registry %s, API server %s, sidecar config %s, logs %s/*.log\n", z.Name, z.Registry.Host, z.Server, z.GitlessConfig, z.Dir)
	}
	fmt.Println("Ctrl-C stops everything.")
	<-ctx.Done()
	return nil
}
