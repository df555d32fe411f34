// Package options holds the flag groups shared by kubectl-gitless commands: registry access, output
// format and progress display. Each is a small struct with AddFlags, Complete and Validate.
package options

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// Registry are the registry access flags every command that talks to a registry takes.
type Registry struct {
	PlainHTTP             bool
	CAFile                string
	InsecureSkipTLSVerify bool
	Username              string
	PasswordStdin         bool
	DockerConfig          string
	Timeout               time.Duration
	Retries               int
	password              string
}

// AddFlags registers the registry flags.
func (o *Registry) AddFlags(fs *pflag.FlagSet) {
	d := registry.DefaultOptions()
	fs.BoolVar(&o.PlainHTTP, "plain-http", false, "use plain HTTP instead of HTTPS (local or test registries)")
	fs.StringVar(&o.CAFile, "ca-file", "", "PEM bundle of CA certificates to trust for the registry")
	fs.BoolVar(&o.InsecureSkipTLSVerify, "insecure-skip-tls-verify", false, "do not verify the registry's TLS certificate (unsafe)")
	fs.StringVarP(&o.Username, "username", "u", "", "registry user name (default: docker credential store)")
	fs.BoolVar(&o.PasswordStdin, "password-stdin", false, "read the registry password or token from stdin")
	fs.StringVar(&o.DockerConfig, "registry-config", "", "docker config.json with credentials (default: $DOCKER_CONFIG/config.json)")
	fs.DurationVar(&o.Timeout, "request-timeout", d.RequestTimeout, "longest wait for a registry response, or between two reads of its body")
	fs.IntVar(&o.Retries, "retries", d.MaxRetries, "retries of a request that failed with 5xx, 429 or a dropped connection")
}

// Complete reads the password from in when --password-stdin is set.
func (o *Registry) Complete(in io.Reader) error {
	if !o.PasswordStdin {
		return nil
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("reading password from stdin: %w", err)
	}
	o.password = strings.TrimRight(line, "\r\n")
	return nil
}

// Validate checks flag combinations.
func (o *Registry) Validate() error {
	if o.PasswordStdin && o.Username == "" {
		return Usagef("--password-stdin needs --username")
	}
	if o.Retries < 0 {
		return Usagef("--retries must not be negative")
	}
	return nil
}

// Options returns the registry options for the pkg/registry client.
func (o *Registry) Options() registry.Options {
	r := registry.DefaultOptions()
	r.PlainHTTP, r.CAFile, r.InsecureSkipTLSVerify = o.PlainHTTP, o.CAFile, o.InsecureSkipTLSVerify
	r.Username, r.Password, r.DockerConfig = o.Username, o.password, o.DockerConfig
	r.RequestTimeout, r.MaxRetries = o.Timeout, o.Retries
	r.UserAgent = "kubectl-gitless/" + Version
	return r
}

// OptionsFor returns the registry options for ref with --username and the password bound to ref's
// host: mirrors and any other host the command reaches use the docker credential store instead, so a
// zone registry never receives the hub's credentials. A layout reference gets no credentials at all.
func (o *Registry) OptionsFor(ref registry.Reference) registry.Options {
	opts := o.Options()
	opts.CredentialHost = ref.Registry
	if ref.Registry == "" {
		opts.Username, opts.Password = "", ""
	}
	return opts
}

// OptionsWithConfig returns OptionsFor(ref) with the settings the gitless config gives ref's host
// (plainHTTP, caFile, insecureSkipTLSVerify, credentialsFile, limits.requestTimeout), as the sidecar
// applies them: one code path for every command that takes --policy.
func (o *Registry) OptionsWithConfig(ref registry.Reference, cfg *config.Config) registry.Options {
	return o.OptionsWithConfigFor(ref, cfg, "")
}

// OptionsWithConfigFor is OptionsWithConfig on behalf of an Argo CD project (--project): the
// config's credentials scoped to it apply, and those scoped to other projects are never sent.
func (o *Registry) OptionsWithConfigFor(ref registry.Reference, cfg *config.Config, project string) registry.Options {
	opts := o.OptionsFor(ref)
	if cfg == nil || ref.IsLayout() {
		return opts
	}
	return cfg.RegistryOptionsFor(ref.Registry, project, opts)
}

// Open parses s and opens its repository.
func (o *Registry) Open(s string) (registry.Reference, registry.Repository, error) {
	ref, err := registry.ParseReference(s)
	if err != nil {
		return ref, nil, err
	}
	repo, err := o.OptionsFor(ref).Open(ref)
	return ref, repo, err
}
