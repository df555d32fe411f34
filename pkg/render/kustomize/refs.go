package kustomize

import (
	"fmt"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/gitless-dev/gitless/pkg/render/errdef"
)

// Tree is what a kustomization and the kustomizations it references point at.
type Tree struct {
	// Paths holds every local file and directory referenced, absolute and cleaned, including
	// the directories of the kustomizations themselves, in the order they were found.
	Paths []string
	// HelmCharts names the kustomization files that declare helmCharts.
	HelmCharts []string
}

// References reads the kustomization in dir and, recursively, every kustomization it references
// (resources, bases, components, generators, transformers, validators). Remote references are an
// error (ErrRemoteReference) and so is a local reference that does not exist (ErrNotFound), so
// that kustomize never falls back to fetching it. Absolute references and references that climb
// above root are refused (ErrOutsideRoot).
func References(fsys filesys.FileSystem, root, dir string) (*Tree, error) {
	w := &walker{fsys: fsys, root: filepath.Clean(root), seen: map[string]bool{}, tree: &Tree{}}
	if err := w.visit(filepath.Clean(dir)); err != nil {
		return nil, err
	}
	return w.tree, nil
}

// KustomizationFile returns the path of the kustomization file in dir, or "" if there is none.
func KustomizationFile(fsys filesys.FileSystem, dir string) string {
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		if p := filepath.Join(dir, name); fsys.Exists(p) && !fsys.IsDir(p) {
			return p
		}
	}
	return ""
}

type walker struct {
	fsys filesys.FileSystem
	root string
	seen map[string]bool
	tree *Tree
}

func (w *walker) visit(dir string) error {
	if w.seen[dir] {
		return nil
	}
	w.seen[dir] = true
	w.tree.Paths = append(w.tree.Paths, dir)
	file := KustomizationFile(w.fsys, dir)
	if file == "" {
		return nil
	}
	k, err := readKustomization(w.fsys, file)
	if err != nil {
		return err
	}
	if len(k.HelmCharts) > 0 || len(k.HelmChartInflationGenerator) > 0 || k.HelmGlobals != nil {
		w.tree.HelmCharts = append(w.tree.HelmCharts, file)
	}
	if err := checkInline(k, file); err != nil {
		return err
	}
	for _, ref := range fileReferences(k) {
		if err := w.reference(dir, file, ref); err != nil {
			return err
		}
	}
	return nil
}

// reference records one local reference and descends into it when it is a directory.
func (w *walker) reference(dir, file, ref string) error {
	if looksRemote(ref) {
		return fmt.Errorf("%s references %q: %w", file, ref, errdef.ErrRemoteReference)
	}
	path, err := w.resolve(dir, ref)
	if err != nil {
		return fmt.Errorf("%s references %q: %w", file, ref, err)
	}
	if !w.fsys.Exists(path) {
		return fmt.Errorf("%s references %q: %w", file, ref, errdef.ErrNotFound)
	}
	if w.fsys.IsDir(path) {
		return w.visit(path)
	}
	w.tree.Paths = append(w.tree.Paths, path)
	return nil
}

// resolve joins ref to dir, refusing absolute references and any that climb above the root
// (checked on the relative form, since joining to "/" would silently clamp "..").
func (w *walker) resolve(dir, ref string) (string, error) {
	if filepath.IsAbs(ref) {
		return "", fmt.Errorf("%w %s (absolute path)", errdef.ErrOutsideRoot, w.root)
	}
	relDir, err := filepath.Rel(w.root, dir)
	if err != nil {
		return "", err
	}
	rel := filepath.Join(relDir, filepath.FromSlash(ref))
	if rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%w %s", errdef.ErrOutsideRoot, w.root)
	}
	return filepath.Join(w.root, rel), nil
}

func readKustomization(fsys filesys.FileSystem, file string) (*types.Kustomization, error) {
	data, err := fsys.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	k := &types.Kustomization{}
	if err := k.Unmarshal(data); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", file, err)
	}
	k.FixKustomization()
	return k, nil
}

// fileReferences lists the entries of k that name files or directories. Inline patches and
// inline generator/transformer configurations are left out.
func fileReferences(k *types.Kustomization) []string {
	refs := append([]string{}, k.Resources...)
	refs = append(refs, k.Components...)
	refs = append(refs, k.Crds...)
	refs = append(refs, k.Configurations...)
	refs = append(refs, notInline(k.Generators)...)
	refs = append(refs, notInline(k.Transformers)...)
	refs = append(refs, notInline(k.Validators)...)
	for _, p := range k.PatchesStrategicMerge {
		refs = append(refs, notInline([]string{string(p)})...)
	}
	for _, p := range k.PatchesJson6902 {
		refs = appendPath(refs, p.Path)
	}
	for _, p := range k.Patches {
		refs = appendPath(refs, p.Path)
	}
	for _, r := range k.Replacements {
		refs = appendPath(refs, r.Path)
	}
	for _, g := range k.ConfigMapGenerator {
		refs = append(refs, generatorFiles(g.GeneratorArgs)...)
	}
	for _, g := range k.SecretGenerator {
		refs = append(refs, generatorFiles(g.GeneratorArgs)...)
	}
	return appendPath(refs, k.OpenAPI["path"])
}

func generatorFiles(g types.GeneratorArgs) []string {
	refs := append([]string{}, g.EnvSources...)
	for _, src := range g.FileSources {
		// "key=path" or "path"
		if _, path, found := strings.Cut(src, "="); found {
			src = path
		}
		refs = append(refs, src)
	}
	return refs
}

func appendPath(refs []string, path string) []string {
	if path == "" {
		return refs
	}
	return append(refs, path)
}

// checkInline applies the checks of scanYAML to the generator, transformer and validator
// configurations written inline in k.
func checkInline(k *types.Kustomization, file string) error {
	for _, list := range [][]string{k.Generators, k.Transformers, k.Validators} {
		for _, e := range list {
			if isInline(e) {
				if err := scanYAML([]byte(e), file); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func isInline(e string) bool { return strings.Contains(e, "\n") || strings.Contains(e, ": ") }

// notInline drops entries that are YAML documents rather than paths.
func notInline(entries []string) []string {
	var refs []string
	for _, e := range entries {
		if !isInline(e) {
			refs = append(refs, e)
		}
	}
	return refs
}

// looksRemote reports whether ref is a URL or a git reference in any of kustomize's spellings.
// Anything that starts with a URL scheme counts, whatever the scheme.
func looksRemote(ref string) bool {
	if hasScheme(strings.TrimSpace(ref)) {
		return true
	}
	for _, marker := range []string{"://", "git@", "?ref=", "?version=", "?timeout=", ".git//", "github.com/", "gitlab.com/", "bitbucket.org/"} {
		if strings.Contains(ref, marker) {
			return true
		}
	}
	return strings.HasPrefix(ref, "git::") || strings.HasPrefix(ref, "gh:")
}

// hasScheme reports whether ref starts with "scheme:" as RFC 3986 spells a scheme.
// Reference: https://www.rfc-editor.org/rfc/rfc3986#section-3.1
func hasScheme(ref string) bool {
	for i, c := range ref {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return true
		default:
			return false
		}
	}
	return false
}
