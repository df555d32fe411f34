package cmd

import (
	"io"
	"log/slog"
)

// newStderrLogger logs warnings (such as an insecureAcceptUnsigned policy in use) as text on stderr.
func newStderrLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
