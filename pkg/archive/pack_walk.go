package archive

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
)

// packItem is an entry to write and, for a file, where its content is (rel
// to the root, or the root itself when rel is ".").
type packItem struct {
	Entry
	rel string
}

// collect lists the tree at root as it will be packed: filtered, validated,
// prefixed and in lexical order of the archive names.
func collect(ctx context.Context, root string, cfg packConfig) ([]packItem, error) {
	fi, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("reading pack root: %w", err)
	}
	var items []packItem
	switch {
	case fi.Mode().IsRegular():
		items = []packItem{{rel: ".", Entry: Entry{Name: fi.Name(), Type: TypeFile, Size: fi.Size(), Mode: normalMode(TypeFile, fi.Mode())}}}
	case fi.IsDir():
		if items, err = walkTree(ctx, root, cfg); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: pack root %s is neither a file nor a directory", ErrUnsupportedEntry, root)
	}
	if err := checkPackLinks(ctx, items); err != nil {
		return nil, err
	}
	items = applyPrefix(items, cfg.prefix)
	sort.Slice(items, func(i, j int) bool { return tarName(items[i].Entry) < tarName(items[j].Entry) })
	return items, nil
}

func walkTree(ctx context.Context, root string, cfg packConfig) ([]packItem, error) {
	ign, err := loadIgnore(root, cfg.ignoreFile)
	if err != nil {
		return nil, err
	}
	var items []packItem
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.Name() == ".git" || ign.ignored(rel, d.IsDir()) || (cfg.filter != nil && !cfg.filter(rel, d)) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		it, err := itemOf(p, rel, d)
		if err == nil {
			items = append(items, it)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("walking %s: %w", root, err)
	}
	return items, nil
}

func loadIgnore(root, name string) (*ignoreMatcher, error) {
	if name == "" {
		return nil, nil
	}
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading ignore file: %w", err)
	}
	m, err := parseIgnore(data)
	if err != nil {
		return nil, fmt.Errorf("parsing ignore file %s: %w", name, err)
	}
	return m, nil
}

// itemOf describes one path found by the walk. Names that Extract would
// refuse are refused here, so Pack never writes an archive it cannot read.
func itemOf(p, rel string, d fs.DirEntry) (packItem, error) {
	if err := checkRawName(rel); err != nil {
		return packItem{}, err
	}
	it := packItem{rel: rel, Entry: Entry{Name: rel}}
	switch t := d.Type(); {
	case t.IsDir():
		it.Type, it.Mode = TypeDir, dirMode
	case t.IsRegular():
		fi, err := d.Info()
		if err != nil {
			return packItem{}, err
		}
		it.Type, it.Size, it.Mode = TypeFile, fi.Size(), normalMode(TypeFile, fi.Mode())
	case t&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return packItem{}, err
		}
		it.Type, it.Mode, it.Linkname = TypeSymlink, linkMode, filepath.ToSlash(target)
	default:
		return packItem{}, fmt.Errorf("%w: %s is a %s", ErrUnsupportedEntry, rel, t.Type())
	}
	return it, nil
}

// checkPackLinks keeps only symlinks that resolve inside the tree, checked
// the same way Extract checks them.
func checkPackLinks(ctx context.Context, items []packItem) error {
	noLimit := Limits{MaxPathLength: math.MaxInt}
	t := newTree()
	for _, it := range items {
		if it.Type == TypeSymlink {
			if err := checkLinkTarget(it.Name, it.Linkname, noLimit); err != nil {
				return err
			}
		}
		if _, err := t.add(it.Entry); err != nil {
			return err
		}
	}
	return t.checkLinks(ctx)
}

func applyPrefix(items []packItem, prefix string) []packItem {
	if prefix == "" {
		return items
	}
	for i := range items {
		items[i].Name = prefix + "/" + items[i].Name
	}
	for _, d := range prefixes(prefix) {
		items = append(items, packItem{Entry: Entry{Name: d, Type: TypeDir, Mode: dirMode}})
	}
	return items
}

// tarName is the name written to the header; sorting by it gives the lexical
// order of full paths and puts every directory before its contents.
func tarName(e Entry) string {
	if e.Type == TypeDir {
		return e.Name + "/"
	}
	return e.Name
}
