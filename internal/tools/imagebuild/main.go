// Command imagebuild builds the gitless sidecar image without a Docker daemon, reproducibly: the same
// commit gives the same digest. It compiles the binaries statically for each platform, lays them on a
// base (one named with -base, or a minimal one built here: /etc/passwd with the argocd user 999, /tmp,
// /home/argocd), puts plugin.yaml where argocd-cmp-server reads it, and writes an OCI image layout
// and, with -push, pushes the image (an index for several platforms) with an SPDX SBOM of the Go
// modules in each binary as a referrer.
//
//	go run ./internal/tools/imagebuild -o .image -push REGISTRY/argocd-cmp:TAG
//
// `make image REGISTRY=...` runs it; the binaries are -bin flags (or IMAGE_BINS in the Makefile), so
// another binary joins the image by naming its main package.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	spec, push, plainHTTP, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "imagebuild: %v\n", err)
		os.Exit(2)
	}
	res, err := Build(ctx, spec)
	if err == nil && push != "" {
		res.Reference, err = Push(ctx, res, spec.Layout, push, plainHTTP)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "imagebuild: %v\n", err)
		os.Exit(1)
	}
	if res.Reference != "" {
		fmt.Println(res.Reference)
		return
	}
	fmt.Println(res.Digest)
}

func parseFlags(args []string) (Spec, string, bool, error) {
	fs := flag.NewFlagSet("imagebuild", flag.ContinueOnError)
	var s Spec
	var bins, platforms, push string
	var plainHTTP bool
	fs.StringVar(&s.Layout, "o", ".image", "OCI image layout to write (replaced)")
	fs.StringVar(&bins, "bin", "./argocd-cmp,./gitless-render,./gitless-render-helm,./gitless-verify,./kubectl-gitless", "main packages to build into /usr/local/bin, comma-separated")
	fs.StringVar(&platforms, "platform", "linux/amd64", "platforms, comma-separated (several make an index)")
	fs.StringVar(&s.PluginYAML, "plugin", "manifests/sidecar/plugin.yaml", "plugin.yaml for /home/argocd/cmp-server/config/")
	fs.StringVar(&s.Base, "base", "", "base image reference; empty builds a minimal base here (no shell)")
	fs.BoolVar(&s.BasePlainHTTP, "base-plain-http", false, "pull the base over plain HTTP")
	fs.StringVar(&s.LDFlags, "ldflags", "-s -w", "go build -ldflags")
	fs.StringVar(&s.Version, "version", "dev", "org.opencontainers.image.version label")
	fs.StringVar(&s.Source, "source", "https://github.com/gitless-dev/gitless", "org.opencontainers.image.source label")
	fs.StringVar(&s.Revision, "revision", "", "org.opencontainers.image.revision label (the commit)")
	fs.Int64Var(&s.Epoch, "epoch", sourceDateEpoch(), "creation time in Unix seconds (default $SOURCE_DATE_EPOCH, else 0)")
	fs.StringVar(&push, "push", "", "push to this reference (REGISTRY/REPO:TAG) after building")
	fs.BoolVar(&plainHTTP, "plain-http", false, "push over plain HTTP")
	if err := fs.Parse(args); err != nil {
		return s, "", false, err
	}
	if fs.NArg() > 0 {
		return s, "", false, fmt.Errorf("unexpected argument %q: every input is a flag (see -h)", fs.Arg(0))
	}
	s.Bins = splitList(bins)
	for _, p := range splitList(platforms) {
		os, arch, ok := strings.Cut(p, "/")
		if !ok || os != "linux" || arch == "" {
			return s, "", false, fmt.Errorf("platform %q: want linux/ARCH, for example linux/amd64", p)
		}
		s.Platforms = append(s.Platforms, Platform{OS: os, Architecture: arch})
	}
	if len(s.Bins) == 0 || len(s.Platforms) == 0 {
		return s, "", false, fmt.Errorf("-bin and -platform need at least one entry each")
	}
	return s, push, plainHTTP, nil
}

func sourceDateEpoch() int64 {
	n, _ := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64)
	return n
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
