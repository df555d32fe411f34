package archive

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
)

// maxLinkHops matches the SYMLOOP_MAX of common kernels.
const maxLinkHops = 40

// checkEvery is how many resolution steps pass between two looks at the
// context, so that a cancelled extraction stops during link checks too.
const checkEvery = 1024

type node struct {
	name     string
	typ      string
	explicit bool
	target   string
	parent   *node
	children map[string]*node
}

// tree mirrors in memory what an archive creates, so that duplicates,
// file/directory conflicts, entries below symlinks and escaping symlink chains
// are found from the headers alone, the same way for Extract, List and Pack.
// Nodes form a trie, so that resolving a link walks pointers instead of
// building and hashing ever longer path strings.
type tree struct {
	root  *node
	nodes map[string]*node
	links []*node
}

func newTree() *tree {
	return &tree{root: &node{typ: TypeDir}, nodes: make(map[string]*node)}
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
	n := t.insert(e.Name, e.Type)
	n.explicit, n.target = true, e.Linkname
	if e.Type == TypeSymlink {
		t.links = append(t.links, n)
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
			t.insert(parent, TypeDir)
			implied = append(implied, parent)
		case n.typ == TypeSymlink:
			return nil, fmt.Errorf("%w: entry %q is below symlink %q", ErrUnsafePath, name, parent)
		case n.typ != TypeDir:
			return nil, fmt.Errorf("%w: entry %q is below %s %q", ErrDuplicateEntry, name, n.typ, parent)
		}
	}
	return implied, nil
}

// insert creates the node for name; its parent must already exist.
func (t *tree) insert(name, typ string) *node {
	parent := t.root
	if d := path.Dir(name); d != "." {
		parent = t.nodes[d]
	}
	n := &node{name: name, typ: typ, parent: parent}
	if parent.children == nil {
		parent.children = make(map[string]*node)
	}
	parent.children[path.Base(name)] = n
	t.nodes[name] = n
	return n
}

// checkLinks resolves every symlink against the complete tree, following
// other symlinks as the kernel would, and fails if one leaves the root.
// Lexical checks alone miss chains such as "c -> ." plus "a -> c/..".
//
// Each link is resolved once and its result reused wherever another link
// passes through it, so the work is linear in the total length of the
// targets however the links are chained; ctx is checked as it goes.
func (t *tree) checkLinks(ctx context.Context) error {
	r := &resolver{ctx: ctx, memo: make(map[*node]*resolved, len(t.links))}
	for _, n := range t.links {
		if _, err := r.link(n); err != nil {
			return err
		}
	}
	return nil
}

// position is a place a resolution reached: the existing directories from
// the root (dirs[0]) down, then a number of components that name nothing in the tree.
// Below a missing component nothing is a link, so only ".." matters there.
type position struct {
	dirs    []*node
	missing int
}

func (p position) clone() position {
	return position{dirs: append([]*node(nil), p.dirs...), missing: p.missing}
}

// resolved is the memoised result of following one link.
type resolved struct {
	busy bool
	at   position
	hops int // links followed, this one included
}

type resolver struct {
	ctx   context.Context
	memo  map[*node]*resolved
	steps int
}

// link follows the symlink n from its directory and returns where it leads.
func (r *resolver) link(n *node) (*resolved, error) {
	if res := r.memo[n]; res != nil {
		if res.busy {
			return nil, fmt.Errorf("%w: symlink %q: too many levels of links", ErrUnsafeLink, n.name)
		}
		return res, nil
	}
	res := &resolved{busy: true}
	r.memo[n] = res
	at, hops, err := r.walk(n, dirOf(n))
	if err != nil {
		return nil, err
	}
	*res = resolved{at: at, hops: hops + 1}
	return res, nil
}

// walk applies the components of n's target to at.
func (r *resolver) walk(n *node, at position) (position, int, error) {
	hops := 0
	for _, c := range strings.Split(n.target, "/") {
		if r.steps++; r.steps%checkEvery == 0 {
			if err := r.ctx.Err(); err != nil {
				return at, 0, err
			}
		}
		var next *node
		switch {
		case c == "" || c == ".":
			continue
		case c == "..":
			if !at.up() {
				return at, 0, fmt.Errorf("%w: symlink %q -> %q resolves outside the tree", ErrUnsafeLink, n.name, truncate(n.target))
			}
			continue
		case at.missing == 0:
			next = at.top().children[c]
		}
		if next == nil || next.typ != TypeSymlink {
			at.down(next)
			continue
		}
		res, err := r.link(next)
		if err != nil {
			return at, 0, err
		}
		if hops += res.hops; hops > maxLinkHops {
			return at, 0, fmt.Errorf("%w: symlink %q: too many levels of links", ErrUnsafeLink, n.name)
		}
		at = res.at.clone()
	}
	return at, hops, nil
}

// dirOf is the position of the directory holding n.
func dirOf(n *node) position {
	var dirs []*node
	for d := n.parent; d != nil; d = d.parent {
		dirs = append(dirs, d)
	}
	slices.Reverse(dirs)
	return position{dirs: dirs}
}

func (p *position) top() *node { return p.dirs[len(p.dirs)-1] }

// up steps to the parent; false means it would leave the root.
func (p *position) up() bool {
	switch {
	case p.missing > 0:
		p.missing--
	case len(p.dirs) > 1:
		p.dirs = p.dirs[:len(p.dirs)-1]
	default:
		return false
	}
	return true
}

// down steps into next, or into a component that does not exist when next
// is nil.
func (p *position) down(next *node) {
	if next == nil || p.missing > 0 {
		p.missing++
		return
	}
	p.dirs = append(p.dirs, next)
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
