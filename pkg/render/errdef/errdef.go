// Package errdef holds the sentinel errors of the render packages, so that callers (the CLI and the
// Argo CD sidecar) can tell refusals apart with errors.Is whichever renderer produced them.
package errdef

import "errors"

var (
	// ErrUnknownKind reports a render kind other than plain, kustomize or helm.
	ErrUnknownKind = errors.New("unknown render kind")

	// ErrNotKubernetes reports a YAML or JSON document that lacks apiVersion or kind.
	ErrNotKubernetes = errors.New("not a Kubernetes object (apiVersion and kind are required)")

	// ErrOutsideRoot reports a path, reference or symlink that leaves the tree being rendered
	// (or the boundary given to PackRoot).
	ErrOutsideRoot = errors.New("path leaves the root")

	// ErrRemoteReference reports a URL or git reference where only files inside the artifact are
	// allowed: rendering is offline.
	ErrRemoteReference = errors.New("remote references are not allowed, vendor the content into the artifact")

	// ErrNotFound reports a local reference that does not exist inside the tree.
	ErrNotFound = errors.New("referenced path not found")

	// ErrPluginsDisabled reports a Kustomize exec, Go or KRM-function plugin: only built-in
	// generators and transformers run.
	ErrPluginsDisabled = errors.New("kustomize plugins are disabled, only built-in generators and transformers run")

	// ErrHelmChartsInKustomize reports helmCharts in a kustomization: inflating them needs a helm
	// binary, which the renderer never executes. Publish the chart as a Helm source instead.
	ErrHelmChartsInKustomize = errors.New("helmCharts in a kustomization are not supported, render the chart as a Helm source")

	// ErrMissingDependency reports a Helm dependency that is not vendored in the chart's charts/.
	ErrMissingDependency = errors.New("helm dependency not vendored in charts/, run `helm dependency build` before publishing")

	// ErrYAMLAliases reports a YAML document whose aliases expand beyond a bound ("billion
	// laughs"): write the repeated content out, or use fewer nested aliases.
	ErrYAMLAliases = errors.New("YAML aliases expand too far")

	// ErrLimitExceeded reports a subchart archive beyond the extraction limits that the
	// artifact itself had to meet.
	ErrLimitExceeded = errors.New("limit exceeded")

	// ErrOutputTooLarge reports a render whose output exceeds its cap (limits.maxRenderedSize).
	ErrOutputTooLarge = errors.New("rendered output too large")

	// ErrOutOfMemory reports a render that exceeded its memory limit.
	ErrOutOfMemory = errors.New("rendering ran out of memory")

	// ErrInvalidOption reports a malformed render option (image override, kube version, values).
	ErrInvalidOption = errors.New("invalid render option")
)
