package cmd

import (
	"errors"
	"io/fs"
	"os"

	"github.com/gitless-dev/gitless/kubectl-gitless/cmd/options"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// isLocalSource tells a local path from a registry reference in a REF|DIR argument: whatever exists
// on disk is a path, and so is what is written as one (registry.LooksLikePath); a path that does not
// exist is a usage error rather than a registry lookup of host "." or "overlays".
func isLocalSource(arg string) (bool, error) {
	if _, err := os.Stat(arg); err == nil {
		return true, nil
	} else if registry.LooksLikePath(arg) {
		return true, noSuchPath(arg, err)
	}
	return false, nil
}

// localDir is isLocalSource for the commands that render a tree: a path must be a directory.
func localDir(arg string) (bool, error) {
	isPath, err := isLocalSource(arg)
	if !isPath || err != nil {
		return isPath, err
	}
	if fi, _ := os.Stat(arg); !fi.IsDir() {
		return true, options.Usagef("%s is a file: give the directory that holds it, or a registry reference", arg)
	}
	return true, nil
}

// mustExist checks a PATH argument (publish's).
func mustExist(arg string) error {
	_, err := os.Stat(arg)
	if err == nil {
		return nil
	}
	return noSuchPath(arg, err)
}

func noSuchPath(arg string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return options.Usagef("%s: no such file or directory (a registry reference starts with its host, such as registry.example.com/repo:tag)", arg)
	}
	return options.Usage(err)
}
