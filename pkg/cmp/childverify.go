package cmp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/gitless-dev/gitless/pkg/cache"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// verifyProtocol is the version of the request VerifyInChild sends; a verifier from another release
// refuses it.
const verifyProtocol = "1"

// VerifyInChild is the Verifier of argocd-cmp: it starts Program (gitless-verify, which imports
// package cmp/verify) for the signature step and waits for its answer. Pipeline.verify asks it only
// when the cache holds no acceptance for the question, so a warm generate starts no verifier and
// links no signature library. The child reads the same configuration file and cache, opens the same
// sources (told when the registry was found unreachable earlier in this generate), and its log
// lines come back into this process's log.
type VerifyInChild struct {
	// Program is the verifier's path; a relative one is taken beside this executable.
	Program string
	// ConfigPath and CacheDir are the generate's configuration file and cache directory.
	ConfigPath, CacheDir string
	// UserAgent is sent to registries.
	UserAgent string
}

// childVerifyRequest is what VerifyInChild writes on the child's stdin.
type childVerifyRequest struct {
	Protocol  string             `json:"protocol"`
	Config    string             `json:"config"`
	CacheDir  string             `json:"cacheDir"`
	UserAgent string             `json:"userAgent,omitempty"`
	Ref       string             `json:"ref"`
	Project   string             `json:"project,omitempty"`
	Desc      ocispec.Descriptor `json:"desc"`
	Deadline  time.Time          `json:"deadline"`
	// UpstreamDown is why the registry was found unreachable earlier in this generate, if it was.
	UpstreamDown string `json:"upstreamDown,omitempty"`
}

// childVerifyResponse is what the child writes on its stdout.
type childVerifyResponse struct {
	Accepted *Accepted `json:"accepted,omitempty"`
	Error    string    `json:"error,omitempty"`
}

// Verify runs the verifier child for req and returns its answer.
func (c VerifyInChild) Verify(ctx context.Context, req *VerifyRequest) (*Accepted, error) {
	prog, err := besideExecutable(c.Program)
	if err != nil {
		return nil, err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(time.Hour)
	}
	in, err := json.Marshal(childVerifyRequest{Protocol: verifyProtocol, Config: c.ConfigPath, CacheDir: c.CacheDir,
		UserAgent: c.UserAgent, Ref: req.Ref.String(), Project: req.Project, Desc: req.Desc, Deadline: deadline,
		UpstreamDown: upstreamDown(req.Store)})
	if err != nil {
		return nil, fmt.Errorf("encoding the verify request: %w", err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, prog)
	cmd.Stdin, cmd.Stdout = bytes.NewReader(in), &limitedWriter{w: &stdout, n: 1 << 20}
	cmd.Stderr = &limitedWriter{w: &stderr, n: 1 << 20}
	cmd.WaitDelay = 5 * time.Second
	runErr := cmd.Run()
	rest := relog(req.Log, &stderr)
	var resp childVerifyResponse
	if json.Unmarshal(stdout.Bytes(), &resp) != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("verifying %s: %w", req.Ref, ctx.Err())
		}
		return nil, fmt.Errorf("the verifier %s failed (%v): %s; install it from the same release as argocd-cmp", prog, runErr, firstLine(rest))
	}
	if resp.Error != "" || resp.Accepted == nil {
		return nil, errors.New(orDefault(resp.Error, "the verifier accepted nothing"))
	}
	return resp.Accepted, nil
}

// upstreamDown is why the registry among store's sources was found unreachable, or "".
func upstreamDown(store any) string {
	s, ok := store.(*sources)
	if !ok {
		return ""
	}
	if up := s.upstream(); up != nil {
		if d, ok := up.repo.(*downOnce); ok {
			if err := d.down(); err != nil {
				return d.err.Error()
			}
		}
	}
	return ""
}

// VerifyMain is the main of the verifier child (gitless-verify): it reads VerifyInChild's request on
// stdin, verifies with the Verifier registered in this process, writes the answer on stdout and its
// log as JSON lines on stderr, and returns the exit code.
func VerifyMain(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) int {
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := verifyChild(ctx, stdin, log)
	resp := childVerifyResponse{Accepted: a}
	if err != nil {
		resp = childVerifyResponse{Error: err.Error()}
	}
	if json.NewEncoder(stdout).Encode(resp) != nil || err != nil {
		return 1
	}
	return 0
}

func verifyChild(ctx context.Context, stdin io.Reader, log *slog.Logger) (*Accepted, error) {
	var req childVerifyRequest
	if err := json.NewDecoder(io.LimitReader(stdin, 1<<20)).Decode(&req); err != nil {
		return nil, fmt.Errorf("reading the verify request: %w (gitless-verify is started by argocd-cmp, not by hand)", err)
	}
	if req.Protocol != verifyProtocol {
		return nil, fmt.Errorf("the verifier speaks protocol %s, its caller %q: install argocd-cmp and gitless-verify from the same release", verifyProtocol, req.Protocol)
	}
	ctx, cancel := context.WithDeadline(ctx, req.Deadline)
	defer cancel()
	registry.SetHints(registry.ConfigHints)
	cfg, err := config.Load(req.Config)
	if err != nil {
		return nil, err
	}
	c, err := cache.New(req.CacheDir, cfg.Cache.MaxSize, cache.WithVerificationTTL(cfg.Cache.VerificationTTL.Duration))
	if err != nil {
		return nil, err
	}
	opts := registry.DefaultOptions()
	opts.UserAgent = req.UserAgent
	p := &Pipeline{Config: cfg, Cache: c, Logger: log, Registry: opts}
	defer p.skips.flush(log)
	ref, policy, err := p.admit(req.Ref, req.Project)
	if err != nil {
		return nil, err
	}
	src, err := p.sources(ctx, ref, req.Project)
	if err != nil {
		return nil, err
	}
	if req.UpstreamDown != "" {
		if d, ok := src.upstream().repo.(*downOnce); ok {
			d.err = errors.New(req.UpstreamDown)
		}
	}
	r := registered.Load()
	if r == nil {
		return nil, ErrNoVerifier
	}
	return (*r).Verify(ctx, &VerifyRequest{Ref: ref, Project: req.Project, Policy: policy, Desc: req.Desc,
		Store: src, Sources: src.signatureSources(), Cache: c, Log: log})
}

// relog writes the child's JSON log lines to log at their own level, and returns what was not a log
// line (a crash, say).
func relog(log *slog.Logger, stderr *bytes.Buffer) string {
	var rest strings.Builder
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) != nil {
			rest.WriteString(sc.Text() + "\n")
			continue
		}
		var level slog.Level
		_ = level.UnmarshalText([]byte(fmt.Sprint(rec["level"])))
		msg := fmt.Sprint(rec["msg"])
		delete(rec, "time")
		delete(rec, "level")
		delete(rec, "msg")
		keys := make([]string, 0, len(rec))
		for k := range rec {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		args := make([]any, 0, 2*len(keys))
		for _, k := range keys {
			args = append(args, k, rec[k])
		}
		log.Log(context.Background(), level, msg, args...)
	}
	return rest.String()
}

// besideExecutable resolves a relative program path against this executable's directory.
func besideExecutable(path string) (string, error) {
	if !filepath.IsAbs(path) {
		exe, err := os.Executable()
		if err != nil {
			return "", fmt.Errorf("finding this executable to start %s: %w", path, err)
		}
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		path = filepath.Join(filepath.Dir(exe), path)
	}
	if info, err := os.Stat(path); err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
		return "", fmt.Errorf("the verifier %s is missing or not executable: install %s from the same release beside argocd-cmp "+
			"(make build puts it in bin/, the sidecar image in /usr/local/bin)", path, filepath.Base(path))
	}
	return path, nil
}

// limitedWriter keeps the first n bytes written and drops the rest.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if k := min(len(p), l.n); k > 0 {
		_, _ = l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
