package options

// Version is set at build time with -ldflags "-X github.com/gitless-dev/gitless/kubectl-gitless/cmd/options.Version=v1.2.3".
var Version = "dev"
