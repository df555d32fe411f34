// Package version holds the build version of the gitless binaries.
package version

// Version is set at build time with -ldflags "-X github.com/gitless-dev/gitless/pkg/version.Version=v1.2.3".
var Version = "dev"
