package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/argoproj/argo-cd/gitops-engine/v3/pkg/utils/kube"
	"github.com/argoproj/argo-cd/v3/cmpserver"
	pluginclient "github.com/argoproj/argo-cd/v3/cmpserver/apiclient"
	"github.com/argoproj/argo-cd/v3/cmpserver/plugin"
	"github.com/argoproj/argo-cd/v3/common"
	"github.com/argoproj/argo-cd/v3/pkg/apis/application/v1alpha1"
	repoclient "github.com/argoproj/argo-cd/v3/reposerver/apiclient"
	"github.com/argoproj/argo-cd/v3/util/app/discovery"
	"github.com/argoproj/argo-cd/v3/util/cmp"
	utilio "github.com/argoproj/argo-cd/v3/util/io"
	grpc_retry "github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	log "github.com/sirupsen/logrus"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
	k8sversion "k8s.io/apimachinery/pkg/util/version"
)

// repoServerTimeout is Argo CD's default repo-server request deadline
// (controller.repo.server.timeout.seconds), applied when the caller's context has none.
const repoServerTimeout = 60 * time.Second

// announcement is one entry of a plugin's parameter announcement (the Argo CD UI's Parameters tab).
type announcement = repoclient.ParameterAnnouncement

// pluginYAML is the plugin definition shipped in manifests/, used verbatim.
var pluginYAML = filepath.Join("..", "..", "manifests", "sidecar", "plugin.yaml")

// cmpServer is Argo CD's real argocd-cmp-server running in this process on a unix socket, as it runs
// in the sidecar. Its methods drive it the way argocd-repo-server does.
//
// The cmp-server reads ARGOCD_PLUGINSOCKFILEPATH, ARGOCD_CMP_WORKDIR and passes its own process
// environment (plus PATH, used to find the plugin command) to every plugin command, so the harness sets
// them with t.Setenv: tests that start one cannot run in parallel.
type cmpServer struct {
	// Config is the plugin.yaml the server loaded.
	Config *plugin.PluginConfig
	// SockDir is the plugins volume (/home/argocd/cmp-server/plugins).
	SockDir string
}

// startCMPServer lays out a temp dir as the sidecar sees it (config/plugin.yaml, plugins/, a work dir),
// puts binDir first on PATH so that plugin.yaml's `argocd-cmp` resolves to the binary built there,
// sets env as the sidecar container's environment, and serves the cmp-server until the test ends.
func startCMPServer(t *testing.T, pluginYAMLPath, binDir string, env map[string]string) *cmpServer {
	t.Helper()
	root := t.TempDir()
	configDir := filepath.Join(root, "config")
	sockDir := filepath.Join(root, "plugins")
	for _, d := range []string{configDir, sockDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(pluginYAMLPath)
	if err != nil {
		t.Fatalf("reading plugin config: %v", err)
	}
	if err := os.WriteFile(filepath.Join(configDir, common.PluginConfigFileName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(common.EnvPluginSockFilePath, sockDir)
	t.Setenv(common.EnvCMPWorkDir, filepath.Join(root, "tmp"))
	t.Setenv("PATH", binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	for k, v := range env {
		t.Setenv(k, v)
	}
	captureArgoLogs(t)

	// As cmd/argocd-cmp-server does: read and validate the config file, then build the server.
	config, err := plugin.ReadPluginConfig(configDir)
	if err != nil {
		t.Fatalf("reading plugin config the way argocd-cmp-server does: %v", err)
	}
	srv, err := cmpserver.NewServer(plugin.CMPServerInitConstants{PluginConfig: *config})
	if err != nil {
		t.Fatal(err)
	}
	// As ArgoCDCMPServer.Run does, without its signal handling and os.Exit on error.
	grpcServer, err := srv.CreateGRPC()
	if err != nil {
		t.Fatal(err)
	}
	lis, err := (&net.ListenConfig{}).Listen(context.Background(), "unix", config.Address())
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- grpcServer.Serve(lis) }()
	t.Cleanup(func() {
		grpcServer.Stop()
		// ErrServerStopped: the test ended before Serve began.
		if err := <-served; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			t.Errorf("cmp-server: %v", err)
		}
	})
	return &cmpServer{Config: config, SockDir: sockDir}
}

// PluginName is the name an Application uses to select this plugin (<name>-<version>).
func (s *cmpServer) PluginName() string {
	return strings.TrimSuffix(filepath.Base(s.Config.Address()), ".sock")
}

// app describes an Application source as argocd-repo-server sees it when it asks a plugin for
// manifests.
type app struct {
	Name, Namespace, Project string
	// RepoURL, Path and TargetRevision are spec.source; Revision is what Argo CD resolved it to (a
	// commit SHA, or for an OCI source the manifest digest).
	RepoURL, Path, TargetRevision, Revision string
	// RepoDir is the checked-out repository (or Argo CD's own extraction of an OCI artifact); the
	// files under it are streamed to the plugin. Empty means a repo holding only a README.
	RepoDir string
	// PluginName is spec.source.plugin.name; empty asks for discovery.
	PluginName string
	// PluginEnv is spec.source.plugin.env (the plugin sees ARGOCD_ENV_<name>).
	PluginEnv v1alpha1.Env
	// Parameters is spec.source.plugin.parameters (the plugin sees ARGOCD_APP_PARAMETERS).
	Parameters v1alpha1.ApplicationSourcePluginParameters
	// KubeVersion and APIVersions are the destination cluster's.
	KubeVersion string
	APIVersions []string
}

func (a app) source() *v1alpha1.ApplicationSourcePlugin {
	return &v1alpha1.ApplicationSourcePlugin{Name: a.PluginName, Env: a.PluginEnv, Parameters: a.Parameters}
}

// repoDir returns the directory to stream and the app path inside it, creating a minimal repo when
// none is given (Argo CD refuses to stream an empty directory).
func (a app) repoDir(t *testing.T) (repoPath, appPath string) {
	t.Helper()
	repoPath = a.RepoDir
	if repoPath == "" {
		repoPath = t.TempDir()
		if err := os.WriteFile(filepath.Join(repoPath, "README.md"), []byte("gitless e2e\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	appPath = filepath.Join(repoPath, filepath.FromSlash(a.Path))
	return repoPath, appPath
}

// generateEnv builds the plugin environment exactly as reposerver/repository.go's newEnv and
// getPluginEnvs do for a manifest request.
func (a app) generateEnv() ([]string, error) {
	env := v1alpha1.Env{
		{Name: "ARGOCD_APP_NAME", Value: a.Name},
		{Name: "ARGOCD_APP_NAMESPACE", Value: a.Namespace},
		{Name: "ARGOCD_APP_PROJECT_NAME", Value: a.Project},
		{Name: "ARGOCD_APP_REVISION", Value: a.Revision},
		{Name: "ARGOCD_APP_REVISION_SHORT", Value: shorten(a.Revision, 7)},
		{Name: "ARGOCD_APP_REVISION_SHORT_8", Value: shorten(a.Revision, 8)},
		{Name: "ARGOCD_APP_SOURCE_REPO_URL", Value: a.RepoURL},
		{Name: "ARGOCD_APP_SOURCE_PATH", Value: a.Path},
		{Name: "ARGOCD_APP_SOURCE_TARGET_REVISION", Value: a.TargetRevision},
	}
	kubeVersion := ""
	if a.KubeVersion != "" {
		v, err := k8sversion.ParseGeneric(a.KubeVersion)
		if err != nil {
			return nil, fmt.Errorf("parsing kube version %s: %w", a.KubeVersion, err)
		}
		kubeVersion = v.String()
	}
	vars := append(env.Environ(), "KUBE_VERSION="+kubeVersion, "KUBE_API_VERSIONS="+strings.Join(a.APIVersions, ","))
	return a.pluginParamEnv(vars)
}

// parametersEnv builds the environment of a parameters announcement as populatePluginAppDetails
// does: note that it carries neither ARGOCD_APP_REVISION nor ARGOCD_APP_NAMESPACE.
func (a app) parametersEnv() ([]string, error) {
	return a.pluginParamEnv([]string{
		"ARGOCD_APP_NAME=" + a.Name,
		"ARGOCD_APP_SOURCE_REPO_URL=" + a.RepoURL,
		"ARGOCD_APP_SOURCE_PATH=" + a.Path,
		"ARGOCD_APP_SOURCE_TARGET_REVISION=" + a.TargetRevision,
	})
}

// pluginParamEnv is reposerver/repository.go's getPluginParamEnvs: plugin env values are
// envsubst'ed against the build env and prefixed ARGOCD_ENV_, then the parameters are appended.
func (a app) pluginParamEnv(vars []string) ([]string, error) {
	parsed := make(v1alpha1.Env, len(vars))
	for i, v := range vars {
		e, err := v1alpha1.NewEnvEntry(v)
		if err != nil {
			return nil, err
		}
		parsed[i] = e
	}
	for _, e := range a.PluginEnv {
		vars = append(vars, fmt.Sprintf("ARGOCD_ENV_%s=%s", e.Name, parsed.Envsubst(e.Value)))
	}
	params, err := a.Parameters.Environ()
	if err != nil {
		return nil, err
	}
	return append(vars, params...), nil
}

func shorten(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// withRepoServerDeadline gives ctx Argo CD's default deadline unless it already has one.
func withRepoServerDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, repoServerTimeout)
}

// connect finds the plugin for a the way the repo-server does (discovery.DetectConfigManagementPlugin
// over the socket directory: the named socket, or every socket's discovery rules when unnamed).
func (s *cmpServer) connect(ctx context.Context, a app, repoPath, appPath string, env []string) (utilio.Closer, pluginclient.ConfigManagementPluginServiceClient, error) {
	return discovery.DetectConfigManagementPlugin(ctx, appPath, repoPath, a.PluginName, env, nil)
}

// Detect reports whether the repo-server would use this plugin for a.
func (s *cmpServer) Detect(ctx context.Context, t *testing.T, a app) error {
	t.Helper()
	env, err := a.generateEnv()
	if err != nil {
		return err
	}
	repoPath, appPath := a.repoDir(t)
	conn, _, err := s.connect(ctx, a, repoPath, appPath, env)
	if err != nil {
		return err
	}
	utilio.Close(conn)
	return nil
}

// cmpRequest is one repo-server request to the plugin in flight: under the repo-server's deadline,
// over the connection discovery picked, with the env and paths it streams.
type cmpRequest struct {
	ctx               context.Context
	client            pluginclient.ConfigManagementPluginServiceClient
	env               []string
	repoPath, appPath string
	close             func()
}

// request starts a request for a with the env envOf builds, as the repo-server does; the caller
// must call close.
func (s *cmpServer) request(ctx context.Context, t *testing.T, a app, envOf func() ([]string, error)) (*cmpRequest, error) {
	t.Helper()
	ctx, cancel := withRepoServerDeadline(ctx)
	env, err := envOf()
	if err != nil {
		cancel()
		return nil, err
	}
	repoPath, appPath := a.repoDir(t)
	conn, client, err := s.connect(ctx, a, repoPath, appPath, env)
	if err != nil {
		cancel()
		return nil, err
	}
	r := &cmpRequest{ctx: ctx, client: client, env: env, repoPath: repoPath, appPath: appPath}
	r.close = func() {
		utilio.Close(conn)
		cancel()
	}
	return r, nil
}

// sendRepo streams the application's files and env on stream with cmp.SendRepoStream.
func (r *cmpRequest) sendRepo(stream cmp.StreamSender) error {
	if err := cmp.SendRepoStream(r.ctx, r.appPath, r.repoPath, stream, r.env, nil); err != nil {
		return fmt.Errorf("sending files to cmp-server: %w", err)
	}
	return nil
}

// Generate asks the plugin for a's manifests as runConfigManagementPluginSidecars does: detect,
// CheckPluginConfiguration, GenerateManifest fed by cmp.SendRepoStream, and the same conversion of
// each returned manifest to objects (an output Argo CD cannot parse is an error here too).
func (s *cmpServer) Generate(ctx context.Context, t *testing.T, a app) ([]string, error) {
	t.Helper()
	r, err := s.request(ctx, t, a, a.generateEnv)
	if err != nil {
		return nil, err
	}
	defer r.close()
	if _, err := r.client.CheckPluginConfiguration(r.ctx, &emptypb.Empty{}); err != nil {
		return nil, fmt.Errorf("checking plugin configuration: %w", err)
	}
	stream, err := r.client.GenerateManifest(r.ctx, grpc_retry.Disable())
	if err != nil {
		return nil, fmt.Errorf("opening generate stream: %w", err)
	}
	if err := r.sendRepo(stream); err != nil {
		return nil, err
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return nil, err
	}
	for _, m := range resp.GetManifests() {
		if _, err := kube.SplitYAML([]byte(m)); err != nil {
			return resp.GetManifests(), fmt.Errorf("converting CMP manifests to objects, as the repo-server does: %w", err)
		}
	}
	return resp.GetManifests(), nil
}

// Parameters asks the plugin for a's parameter announcement as populatePluginAppDetails does (the
// Argo CD UI's Parameters tab).
func (s *cmpServer) Parameters(ctx context.Context, t *testing.T, a app) ([]*announcement, error) {
	t.Helper()
	r, err := s.request(ctx, t, a, a.parametersEnv)
	if err != nil {
		return nil, err
	}
	defer r.close()
	stream, err := r.client.GetParametersAnnouncement(r.ctx, grpc_retry.Disable())
	if err != nil {
		return nil, fmt.Errorf("opening parameters stream: %w", err)
	}
	if err := r.sendRepo(stream); err != nil {
		return nil, err
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return nil, err
	}
	return resp.GetParameterAnnouncements(), nil
}

func captureArgoLogs(t *testing.T) {
	t.Helper()
	prevOut, prevLevel := log.StandardLogger().Out, log.GetLevel()
	w := &testLogWriter{t: t}
	log.SetOutput(w)
	level := log.WarnLevel
	if l, err := log.ParseLevel(os.Getenv("E2E_ARGOCD_LOG_LEVEL")); err == nil {
		level = l
	}
	log.SetLevel(level)
	t.Cleanup(func() {
		w.close()
		log.SetOutput(prevOut)
		log.SetLevel(prevLevel)
	})
}

// testLogWriter writes to t.Log until closed; the cmp-server's goroutines may still log after the
// test's end, when t.Log would panic.
type testLogWriter struct {
	t      *testing.T
	mu     sync.Mutex
	closed bool
}

func (w *testLogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testLogWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
}
