package cmd

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// logLevel reads GITLESS_LOG_LEVEL (debug, info, warn, error; default warn). The default keeps INFO
// lines out of stderr, which Argo CD shows as the Application's condition.
func logLevel(s string) (slog.Level, error) {
	var l slog.Level
	if s == "" {
		return slog.LevelWarn, nil
	}
	if err := l.UnmarshalText([]byte(strings.ToLower(s))); err != nil {
		return l, fmt.Errorf("GITLESS_LOG_LEVEL %q: use debug, info, warn or error", s)
	}
	return l, nil
}

// runLog is one generate's log. At the default level it is held back and written only when generate
// succeeds, so a failing generate leaves exactly one line on stderr: the cause. A level raised to
// info or debug asks for everything, as it happens.
type runLog struct {
	*slog.Logger
	held   *bytes.Buffer // nil when lines go straight to stderr
	errOut io.Writer
}

func newRunLog(errOut io.Writer, format, level string) (*runLog, error) {
	lvl, err := logLevel(level)
	if err != nil {
		return nil, err
	}
	l := &runLog{errOut: errOut}
	w := errOut
	if lvl >= slog.LevelWarn {
		l.held = &bytes.Buffer{}
		w = l.held
	}
	l.Logger = slog.New(newLogHandler(w, format, lvl))
	return l, nil
}

// finish writes the held lines after a success and drops them after a failure.
func (l *runLog) finish(failed bool) {
	if l.held != nil && !failed {
		_, _ = l.errOut.Write(l.held.Bytes())
	}
}

// newLogHandler logs as logfmt (readable in an Application's conditions) or, with GITLESS_LOG_FORMAT=json,
// as JSON for log pipelines.
func newLogHandler(w io.Writer, format string, level slog.Level) slog.Handler {
	if format == "json" {
		return slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
	}
	return slog.NewTextHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{} // Argo CD timestamps the condition; keep the lines short
		}
		return a
	}})
}
