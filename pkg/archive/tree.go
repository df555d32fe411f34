package archive

import (
	"fmt"
	"path"
	"strings"
)

// maxLinkHops matches the SYMLOOP_MAX of common kernels.
const maxLinkHops = 40

// maxLinkSteps bounds the work spent resolving one link, so that a hostile
// archive full of long link chains cannot make validation slow.
const maxLinkSteps = 4096

type node struct {
	typ      string
	explicit bool
	target   string
}

// tree mirrors in memory what an archive creates, so that duplicates,
// file/directory conflicts, entries below symlinks and escaping symlink chains
// are found from the headers alone, the same way for Extract, List and Pack.
type tree struct {
	nodes map[string]*node
	links []string
}

func newTree() *tree {
	return &tree{nodes: make(map[string]*node)}
}

// add records e and returns the parent directories it implies that no earlier
// entry created, outermost first.
func (t *tree) add(e Entry) ([]string, error) {
	implied, err := t.addParents(e.Name)
	if err != nil {
		return nil, err
	}
	if old := t.nodes[e.Name]; old != nil {
		if old.typ == TypeDir && !old.explicit && e.Type == TypeDir {
			old.explicit = true
			return implied, nil
		}
		return nil, fmt.Errorf("%w: %s %q already exists as a %s", ErrDuplicateEntry, e.Type, e.Name, old.typ)
	}
	t.nodes[e.Name] = &node{typ: e.Type, explicit: true, target: e.Linkname}
	if e.Type == TypeSymlink {
		t.links = append(t.links, e.Name)
	}
	return implied, nil
}

func (t *tree) addParents(name string) ([]string, error) {
	var implied []string
	for i := 0; i < len(name); i++ {
		if name[i] != '/' {
			continue
		}
		parent := name[:i]
		switch n := t.nodes[parent]; {
		case n == nil:
			t.nodes[parent] = &node{typ: TypeDir}
			implied = append(implied, parent)
		case n.typ == TypeSymlink:
			return nil, fmt.Errorf("%w: entry %q is below symlink %q", ErrUnsafePath, name, parent)
		case n.typ != TypeDir:
			return nil, fmt.Errorf("%w: entry %q is below %s %q", ErrDuplicateEntry, name, n.typ, parent)
		}
	}
	return implied, nil
}

// checkLinks resolves every symlink against the complete tree, following
// other symlinks as the kernel would, and fails if one leaves the root.
// Lexical checks alone miss chains such as "c -> ." plus "a -> c/..".
func (t *tree) checkLinks() error {
	for _, name := range t.links {
		if err := t.resolve(name); err != nil {
			return err
		}
	}
	return nil
}

func (t *tree) resolve(link string) error {
	var dirs []string // dirs[i] is the full path of the i-th component
	if d := path.Dir(link); d != "." {
		dirs = prefixes(d)
	}
	todo := strings.Split(t.nodes[link].target, "/")
	hops, steps := 0, 0
	for len(todo) > 0 {
		if steps++; steps > maxLinkSteps {
			return fmt.Errorf("%w: symlink %q is too complex to resolve", ErrUnsafeLink, link)
		}
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(dirs) == 0 {
				return fmt.Errorf("%w: symlink %q -> %q resolves outside the tree", ErrUnsafeLink, link, t.nodes[link].target)
			}
			dirs = dirs[:len(dirs)-1]
			continue
		}
		cur := c
		if len(dirs) > 0 {
			cur = dirs[len(dirs)-1] + "/" + c
		}
		if n := t.nodes[cur]; n != nil && n.typ == TypeSymlink {
			if hops++; hops > maxLinkHops {
				return fmt.Errorf("%w: symlink %q: too many levels of links", ErrUnsafeLink, link)
			}
			todo = append(strings.Split(n.target, "/"), todo...)
			continue
		}
		dirs = append(dirs, cur)
	}
	return nil
}

func prefixes(p string) []string {
	var out []string
	for i := 0; i < len(p); i++ {
		if p[i] == '/' {
			out = append(out, p[:i])
		}
	}
	return append(out, p)
}

// checkLinkTarget refuses targets that are unsafe on their face, before the
// whole tree is known.
func checkLinkTarget(name, target string, l Limits) error {
	switch {
	case target == "":
		return fmt.Errorf("%w: symlink %q has an empty target", ErrUnsafeLink, name)
	case len(target) > l.MaxPathLength:
		return fmt.Errorf("%w: symlink %q: target length %d exceeds %d", ErrLimitExceeded, name, len(target), l.MaxPathLength)
	case strings.HasPrefix(target, "/"):
		return fmt.Errorf("%w: symlink %q -> %q is absolute", ErrUnsafeLink, name, truncate(target))
	case strings.ContainsAny(target, "\\\x00"):
		return fmt.Errorf("%w: symlink %q -> %q contains a backslash or NUL", ErrUnsafeLink, name, truncate(target))
	}
	resolved := path.Join(path.Dir(name), target)
	if resolved == ".." || strings.HasPrefix(resolved, "../") {
		return fmt.Errorf("%w: symlink %q -> %q resolves outside the tree", ErrUnsafeLink, name, truncate(target))
	}
	return nil
}
