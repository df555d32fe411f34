package kustomize

import (
	"fmt"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/gitless-dev/gitless/pkg/render/errdef"
)

// wrapperDir holds the generated kustomization that applies Options on top of the target.
const wrapperDir = "/.gitless-render"

// writeWrapper writes a kustomization that takes target as its only resource and applies opts,
// and returns its directory.
func writeWrapper(fsys filesys.FileSystem, target string, opts Options) (string, error) {
	rel, err := filepath.Rel(wrapperDir, target)
	if err != nil {
		return "", err
	}
	k := types.Kustomization{
		TypeMeta:   types.TypeMeta{APIVersion: types.KustomizationVersion, Kind: types.KustomizationKind},
		Resources:  []string{filepath.ToSlash(rel)},
		Namespace:  opts.Namespace,
		NamePrefix: opts.NamePrefix,
		NameSuffix: opts.NameSuffix,
	}
	for _, spec := range opts.Images {
		image, err := ParseImage(spec)
		if err != nil {
			return "", err
		}
		k.Images = append(k.Images, image)
	}
	data, err := yaml.Marshal(k)
	if err != nil {
		return "", fmt.Errorf("encoding wrapper kustomization: %w", err)
	}
	if err := fsys.WriteFile(filepath.Join(wrapperDir, konfig.DefaultKustomizationFileName()), data); err != nil {
		return "", fmt.Errorf("writing wrapper kustomization: %w", err)
	}
	return wrapperDir, nil
}

// ParseImage parses an image override in `kustomize edit set image` syntax: "name=newName:tag",
// "name=newName@digest", "name=newName", "name:tag" or "name@digest".
func ParseImage(spec string) (types.Image, error) {
	name, replacement, renamed := strings.Cut(spec, "=")
	if !renamed {
		replacement = spec
	}
	newName, tag, digest := splitReference(replacement)
	image := types.Image{Name: name, NewTag: tag, Digest: digest}
	if renamed {
		image.NewName = newName
	} else {
		image.Name = newName
	}
	if image.Name == "" || (renamed && newName == "" && tag == "" && digest == "") {
		return types.Image{}, fmt.Errorf("parsing image override %q: %w", spec, errdef.ErrInvalidOption)
	}
	return image, nil
}

// splitReference splits "name:tag@digest" into its parts; tag and digest are optional.
func splitReference(ref string) (name, tag, digest string) {
	name, digest, _ = strings.Cut(ref, "@")
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name, tag = name[:i], name[i+1:]
	}
	return name, tag, digest
}
