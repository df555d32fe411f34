package cmd

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/gitless-dev/gitless/pkg/cache"
	"github.com/gitless-dev/gitless/pkg/cmp"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/registry"
	"github.com/gitless-dev/gitless/pkg/version"
)

// Defaults of the sidecar; the config file overrides them.
const (
	defaultConfigPath = "/etc/gitless/config.yaml"
	// defaultTotalTimeout stays inside Argo CD's 60 s repo-server deadline, retries included.
	defaultTotalTimeout = 50 * time.Second
)

type generateOptions struct {
	configPath string
	cacheDir   string
	out        io.Writer
	errOut     io.Writer
}

func newGenerateCmd(out, errOut io.Writer) *cobra.Command {
	o := &generateOptions{out: out, errOut: errOut}
	c := &cobra.Command{
		Use:   "generate",
		Short: "Verify the artifact named by the Argo CD environment and print its manifests",
		Long: `Reads the gitless config (GITLESS_CONFIG, default /etc/gitless/config.yaml), finds the artifact
(plugin parameter ref / env GITLESS_REF, else the Application's oci:// source), resolves its tag once,
verifies its signature under the matching trust policy, fetches it by digest (cache, zone mirrors, then
the registry), extracts it safely and renders it. On any error stdout stays empty and the exit is non-zero.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.Run(cmd.Context()) },
	}
	c.Flags().StringVar(&o.configPath, "config", envOr("GITLESS_CONFIG", defaultConfigPath), "gitless config file")
	c.Flags().StringVar(&o.cacheDir, "cache-dir", os.Getenv("GITLESS_CACHE_DIR"), "digest cache directory (default: config cache.dir, else $TMPDIR/gitless-cache)")
	return c
}

func (o *generateOptions) Run(ctx context.Context) error {
	log := slog.New(newLogHandler(o.errOut, os.Getenv("GITLESS_LOG_FORMAT"))).With("app", os.Getenv("ARGOCD_APP_NAME"))
	err := o.run(ctx, log)
	if err != nil {
		// Argo CD puts the plugin's stderr into the Application's condition: end with one plain line.
		fmt.Fprintf(o.errOut, "gitless: %v\n", err)
	}
	return err
}

func (o *generateOptions) run(ctx context.Context, log *slog.Logger) error {
	cfg, err := config.Load(o.configPath)
	if err != nil {
		return err
	}
	timeout := cfg.Limits.TotalTimeout.Duration
	if timeout <= 0 {
		timeout = defaultTotalTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	env, err := cmp.EnvFromOS(os.Getenv)
	if err != nil {
		return err
	}
	// New also sweeps what killed generates left in the cache; the render directories are swept here
	c, err := cache.New(o.cacheDirFor(cfg), cfg.Cache.MaxSize,
		cache.WithVerificationTTL(cfg.Cache.VerificationTTL.Duration), cache.WithStaleAfter(timeout))
	if err != nil {
		return err
	}
	if n := cmp.SweepRenderDirs("", timeout); n > 0 {
		log.Info("removed work directories left by killed generates", "count", n)
	}
	opts := registry.DefaultOptions()
	opts.UserAgent = "gitless-argocd-cmp/" + version.Version
	p := &cmp.Pipeline{Config: cfg, Cache: c, Logger: log, Registry: opts}
	return p.Generate(ctx, env, o.out)
}

func (o *generateOptions) cacheDirFor(cfg *config.Config) string {
	switch {
	case o.cacheDir != "":
		return o.cacheDir
	case cfg.Cache.Dir != "":
		return cfg.Cache.Dir
	}
	return filepath.Join(os.TempDir(), "gitless-cache")
}

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

// newLogHandler logs as logfmt (readable in an Application's conditions) or, with GITLESS_LOG_FORMAT=json,
// as JSON for log pipelines.
func newLogHandler(w io.Writer, format string) slog.Handler {
	if format == "json" {
		return slog.NewJSONHandler(w, nil)
	}
	return slog.NewTextHandler(w, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{} // Argo CD timestamps the condition; keep the lines short
		}
		return a
	}})
}
