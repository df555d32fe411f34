package archive

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// writeEntry creates one accepted entry under root. Every path goes through
// os.Root, so even a bug in the checks above cannot write outside it.
func writeEntry(root *os.Root, s *scanner, e Entry, implied []string) error {
	for _, d := range implied {
		if err := makeDir(root, d); err != nil {
			return err
		}
	}
	var err error
	switch e.Type {
	case TypeDir:
		err = makeDir(root, e.Name)
	case TypeFile:
		err = writeFile(root, s, e)
	case TypeSymlink:
		err = root.Symlink(e.Linkname, e.Name)
	}
	if err != nil {
		return fmt.Errorf("extracting %s %q: %w", e.Type, e.Name, err)
	}
	return nil
}

// makeDir creates a directory, or accepts one an earlier entry implied. The
// mode is set after creation so that the umask does not change it.
func makeDir(root *os.Root, name string) error {
	if err := root.Mkdir(name, dirMode); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return root.Chmod(name, dirMode)
}

func writeFile(root *os.Root, s *scanner, e Entry) (err error) {
	f, err := root.OpenFile(e.Name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if err := s.copyFile(f, e); err != nil {
		return err
	}
	return f.Chmod(e.Mode)
}
