package artifact

import (
	"context"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// gitInfo is what publish reads from the enclosing git checkout.
type gitInfo struct {
	TopLevel string
	Source   string
	Revision string
	Time     time.Time
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
