package cmd

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
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

// VerifierProgram is the signature verifier generate starts on a cache miss; a relative path is
// taken beside this executable. Tests point it at a freshly built gitless-verify.
var VerifierProgram = "gitless-verify"

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
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.Run(cmd.Context()) },
	}
	c.Flags().StringVar(&o.configPath, "config", envOr("GITLESS_CONFIG", defaultConfigPath), "gitless config file")
	c.Flags().StringVar(&o.cacheDir, "cache-dir", os.Getenv("GITLESS_CACHE_DIR"), "digest cache directory (default: config cache.dir, else $TMPDIR/gitless-cache)")
	return c
}

func (o *generateOptions) Run(ctx context.Context) error {
	log, err := newRunLog(o.errOut, os.Getenv("GITLESS_LOG_FORMAT"), os.Getenv("GITLESS_LOG_LEVEL"))
	if err == nil {
		err = o.run(ctx, log.With("app", os.Getenv("ARGOCD_APP_NAME")))
		log.finish(err != nil)
	}
	if err != nil {
		// Argo CD puts the plugin's stderr into the Application's condition: one plain line.
		fmt.Fprintf(o.errOut, "gitless: %s\n", oneLine(err))
	}
	return err
}

// oneLine joins a multi-line error (errors.Join of several sources) into one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
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
	// Signatures are checked in gitless-verify, started only when the cache holds no acceptance.
	verifier := cmp.VerifyInChild{Program: VerifierProgram, ConfigPath: o.configPath, CacheDir: o.cacheDirFor(cfg), UserAgent: opts.UserAgent}
	p := &cmp.Pipeline{Config: cfg, Cache: c, Logger: log, Registry: opts, Verifier: verifier}
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
