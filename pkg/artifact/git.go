package artifact

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// gitInfo is what publish reads from the enclosing git checkout.
type gitInfo struct {
	TopLevel string
	Source   string
	Revision string
	// Ref is the branch (refs/heads/...) HEAD is on, else a tag (refs/tags/...) pointing at HEAD.
	Ref  string
	Time time.Time
}

// readGitInfo reads the checkout enclosing dir. Outside a checkout, or without git, it returns zero values.
func readGitInfo(ctx context.Context, dir string) gitInfo {
	var g gitInfo
	g.TopLevel = git(ctx, dir, "rev-parse", "--show-toplevel")
	if g.TopLevel == "" {
		return g
	}
	g.Revision = git(ctx, dir, "rev-parse", "HEAD")
	if secs, err := strconv.ParseInt(git(ctx, dir, "log", "-1", "--format=%ct"), 10, 64); err == nil {
		g.Time = time.Unix(secs, 0).UTC()
	}
	g.Source = sanitizeURL(git(ctx, dir, "config", "--get", "remote.origin.url"))
	g.Ref = git(ctx, dir, "symbolic-ref", "-q", "HEAD")
	if g.Ref == "" { // detached (as CI checks out): a tag at HEAD names what was built
		g.Ref, _, _ = strings.Cut(git(ctx, dir, "for-each-ref", "--points-at", "HEAD", "--format=%(refname)", "refs/tags"), "\n")
	}
	return g
}

func git(ctx context.Context, dir string, args ...string) string {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// changedFiles lists the paths under root (relative to root, slash-separated) whose working-tree
// state differs from HEAD: modified, added, deleted, untracked and git-ignored files, since publish
// packs what is on disk, not what git tracks.
func changedFiles(ctx context.Context, root string) ([]changedFile, error) {
	pathspec := "."
	if fi, err := os.Stat(root); err == nil && !fi.IsDir() { // a single file is packed under its name
		root, pathspec = filepath.Dir(root), filepath.Base(root)
	}
	cmd := exec.CommandContext(ctx, "git", "-C", root, "status", "--porcelain=v1", "-z",
		"--untracked-files=all", "--ignored=matching", "--no-renames", "--", pathspec)
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("reading the checkout's state with git status: %w", err)
	}
	top := git(ctx, root, "rev-parse", "--show-toplevel")
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, err
	}
	var files []changedFile
	for _, rec := range strings.Split(string(out), "\x00") {
		if len(rec) < 4 {
			continue
		}
		rel, err := filepath.Rel(realRoot, filepath.Join(top, rec[3:]))
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			continue
		}
		files = append(files, changedFile{path: filepath.ToSlash(rel), deleted: strings.Contains(rec[:2], "D")})
	}
	slices.SortFunc(files, func(a, b changedFile) int { return strings.Compare(a.path, b.path) })
	return files, nil
}

// changedFile is one path git status reports; a deleted file is not on disk.
type changedFile struct {
	path    string
	deleted bool
}

// sanitizeURL drops credentials from a remote URL so that a token never lands in an annotation.
func sanitizeURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return raw // scp-like git@host:org/repo carries no secret beyond the user name
	}
	u.User = nil
	return u.String()
}
