package render

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gitless-dev/gitless/pkg/render/errdef"
	"github.com/gitless-dev/gitless/pkg/render/internal/sandbox"
)

// childEnv marks the renderer child process; its value is the protocol version.
const (
	childEnv     = "GITLESS_RENDER_CHILD"
	childVersion = "1"
	// maxChildStderr bounds what is kept of the child's stderr for error messages.
	maxChildStderr = 64 << 10
)

// Init must be the first call in main (and in TestMain of tests that exercise the bounded
// render) of every binary that renders, as moby's reexec.Init is. In the renderer child started
// by Render it renders and exits; in any other process it returns at once and records that
// Render may start such a child.
func Init() {
	switch v := os.Getenv(childEnv); v {
	case "":
		childReady.Store(true)
		return
	case childVersion:
	default:
		// a renderer from another release than the binary that started it
		_ = json.NewEncoder(os.Stderr).Encode(childFailure{Message: fmt.Sprintf(
			"the renderer speaks protocol %s, its caller %s: install argocd-cmp and gitless-render from the same release", childVersion, v)})
		os.Exit(1)
	}
	_ = os.Unsetenv(childEnv)
	// Only the rendered stream may reach stdout: whatever a library prints goes to stderr.
	stdout := os.Stdout
	os.Stdout = os.Stderr
	os.Exit(runChild(os.Stdin, stdout, os.Stderr))
}

// childRequest is what the parent sends on the child's stdin.
type childRequest struct {
	Root    string  `json:"root"`
	Options Options `json:"options"`
}

// childFailure is what the child writes on stderr when the render fails: the message and the
// sentinel it wraps, so that errors.Is works in the parent as it would in process.
type childFailure struct {
	Sentinel string `json:"sentinel,omitempty"`
	Message  string `json:"message"`
}

// sentinels are the errors a failure keeps across the process boundary.
var sentinels = map[string]error{
	"unknown-kind": errdef.ErrUnknownKind, "not-kubernetes": errdef.ErrNotKubernetes,
	"outside-root": errdef.ErrOutsideRoot, "remote-reference": errdef.ErrRemoteReference,
	"not-found": errdef.ErrNotFound, "plugins-disabled": errdef.ErrPluginsDisabled,
	"helm-charts-in-kustomize": errdef.ErrHelmChartsInKustomize,
	"missing-dependency":       errdef.ErrMissingDependency, "yaml-aliases": errdef.ErrYAMLAliases,
	"output-too-large": errdef.ErrOutputTooLarge, "out-of-memory": errdef.ErrOutOfMemory,
	"limit-exceeded": errdef.ErrLimitExceeded, "invalid-option": errdef.ErrInvalidOption,
	"canceled": context.Canceled, "deadline-exceeded": context.DeadlineExceeded,
}

// runChild is the child's main: read the request, lock the process down, render, and write the
// stream to stdout or a childFailure to stderr.
func runChild(stdin io.Reader, stdout, stderr io.Writer) int {
	out, err := childRender(stdin)
	if err == nil {
		if _, err = stdout.Write(out); err == nil {
			return 0
		}
	}
	f := childFailure{Message: err.Error()}
	for name, s := range sentinels {
		if errors.Is(err, s) {
			f.Sentinel = name
			break
		}
	}
	_ = json.NewEncoder(stderr).Encode(f)
	return 1
}

func childRender(stdin io.Reader) ([]byte, error) {
	var req childRequest
	if err := json.NewDecoder(io.LimitReader(stdin, 1<<20)).Decode(&req); err != nil {
		return nil, fmt.Errorf("reading the render request: %w", err)
	}
	sandbox.Lockdown()
	if err := sandbox.LimitMemory(req.Options.MaxMemory); err != nil {
		return nil, err
	}
	return renderStream(context.Background(), req.Root, req.Options)
}

// UseRenderer makes Render start the program at path as its renderer child instead of this
// binary, which then need not link the renderers (argocd-cmp starts gitless-render). The program's
// main must call Init first. A relative path is taken relative to the directory of this binary, so
// that the programs of one release are found side by side. Init need not be called in a binary that
// calls UseRenderer.
func UseRenderer(path string) {
	rendererPath.Store(&path)
	childReady.Store(true)
}

// UseHelmRenderer makes Render start the program at path (a relative path as for UseRenderer) for
// Helm charts, and the UseRenderer program for the other kinds, which then need not link Helm: the
// Helm SDK's initialisation (the Kubernetes client schemes, JSON-schema compilation) is the largest
// part of a renderer's start-up, and a plain or Kustomize render does not need it. The program's main
// must call Init first and import package render/helm.
func UseHelmRenderer(path string) {
	helmRendererPath.Store(&path)
	childReady.Store(true)
}

// rendererPath and helmRendererPath are the renderers set by UseRenderer and UseHelmRenderer;
// unset, the renderer is this binary.
var rendererPath, helmRendererPath atomic.Pointer[string]

// renderer returns the program to start as the renderer child for a tree of kind.
func renderer(kind Kind) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("finding this executable to start the renderer: %w", err)
	}
	p := rendererPath.Load()
	if h := helmRendererPath.Load(); h != nil && kind == KindHelm {
		p = h
	}
	if p == nil {
		return exe, nil
	}
	path := *p
	if !filepath.IsAbs(path) {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		path = filepath.Join(filepath.Dir(exe), path)
	}
	if info, err := os.Stat(path); err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
		return "", fmt.Errorf("the renderer %s is missing or not executable: install %s from the same release beside %s "+
			"(make build puts both in bin/, the sidecar image has both in /usr/local/bin)", path, filepath.Base(path), filepath.Base(exe))
	}
	return path, nil
}

// childKind is the kind the renderer child will render: opts.Kind, else what Detect finds at the
// render path (the child resolves the path the same way). Only the choice of program depends on it;
// an error is left for the child to report.
func childKind(root string, opts Options) Kind {
	if opts.Kind != "" || helmRendererPath.Load() == nil {
		return opts.Kind
	}
	dir, err := renderDir(root, opts.Path)
	if err != nil {
		return ""
	}
	kind, _ := Detect(dir)
	return kind
}

// renderInChild runs the render in a child process (this binary, or the one UseRenderer named)
// and returns its output.
func renderInChild(ctx context.Context, root string, opts Options) ([]byte, error) {
	exe, err := renderer(childKind(root, opts))
	if err != nil {
		return nil, err
	}
	req, err := json.Marshal(childRequest{Root: root, Options: opts})
	if err != nil {
		return nil, fmt.Errorf("encoding the render request: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stdout := &cappedBuffer{max: opts.MaxOutputSize, onFull: cancel}
	stderr := &cappedBuffer{max: maxChildStderr}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = childEnviron()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(req), stdout, stderr
	cmd.WaitDelay = 5 * time.Second
	dieWithParent(cmd)
	err = cmd.Run()
	switch {
	case stdout.overflow:
		return nil, outputTooLarge(opts.MaxOutputSize)
	case err == nil:
		return stdout.Bytes(), nil
	case ctx.Err() != nil:
		return nil, deadlineError(ctx)
	}
	return nil, childError(err, stderr.String(), opts.MaxMemory)
}

// childEnviron is the child's whole environment: none of the parent's variables (credentials,
// proxies, PATH) reach the renderer, only where to put temporary files.
func childEnviron() []string {
	return []string{childEnv + "=" + childVersion, "TMPDIR=" + os.TempDir()}
}

// childError turns the child's exit into an error: its childFailure when it wrote one, else
// what its stderr and exit status tell.
func childError(runErr error, stderr string, maxMemory int64) error {
	var f childFailure
	if json.Unmarshal([]byte(lastLine(stderr)), &f) == nil && f.Message != "" {
		return &remoteError{msg: f.Message, sentinel: sentinels[f.Sentinel]}
	}
	var exit *exec.ExitError
	killed := errors.As(runErr, &exit) && exit.ProcessState != nil && exitSignal(exit.ProcessState) == syscall.SIGKILL
	if killed || ranOutOfMemory(stderr) {
		return fmt.Errorf("%w: the limit is %d bytes; render less (split the application) or raise limits.maxRenderMemory",
			errdef.ErrOutOfMemory, maxMemory)
	}
	return fmt.Errorf("renderer process failed: %w: %s", runErr, firstLine(stderr))
}

// ranOutOfMemory reports an allocation refused under the memory limit, however the child's runtime
// words it: Go's "out of memory" or "cannot allocate memory", or ENOMEM from a sanitizer's allocator
// (the race detector's ThreadSanitizer runs out before Go's runtime does).
func ranOutOfMemory(stderr string) bool {
	for _, s := range []string{"out of memory", "cannot allocate memory", "errno: 12)"} {
		if strings.Contains(stderr, s) {
			return true
		}
	}
	return false
}

// remoteError is an error from the child: its message, wrapping the sentinel it wrapped there.
type remoteError struct {
	msg      string
	sentinel error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.sentinel }

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	return s[strings.LastIndex(s, "\n")+1:]
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// RendererMain is the whole main of a renderer binary (gitless-render, gitless-render-helm): in the
// child argocd-cmp starts it renders and exits; `NAME version` prints the version; anything else is a
// person running it by hand, told what it is (what: "the renderer process of argocd-cmp, started by it
// for each render") and to run argocd-cmp instead, exit 2.
func RendererMain(name, what, version string) {
	Init()
	if len(os.Args) == 2 && os.Args[1] == "version" {
		fmt.Println(version)
		return
	}
	fmt.Fprintf(os.Stderr, "%s: %s; install it beside argocd-cmp and run `argocd-cmp generate` instead\n", name, what)
	os.Exit(2)
}
