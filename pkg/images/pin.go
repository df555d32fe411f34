package images

import "fmt"

// Pinned is what Pin did to a rendered stream.
type Pinned struct {
	// Rewritten are the fields pointed at a mirror (New is the mirror's reference by digest).
	Rewritten []Replacement
	// Unlocked are the image fields the lock does not pin (not in it, or recorded without a digest).
	Unlocked []Found
}

// Pin rewrites every image field of a rendered stream that the lock pins, and whose repository has
// an images mirror (mirror returns its prefix, or "" for none), to the mirror's copy by digest:
// MirrorName(prefix, name)@digest. Every other byte of the stream stays as it was.
func Pin(stream []byte, lock Lock, mirror func(repo string) string) ([]byte, Pinned, error) {
	found, err := FindInStream(stream)
	if err != nil {
		return nil, Pinned{}, err
	}
	var res Pinned
	for _, f := range found {
		im, ok := lock.Lookup(f.Ref)
		if !ok {
			res.Unlocked = append(res.Unlocked, f)
			continue
		}
		prefix := mirror(im.Name)
		if prefix == "" {
			continue
		}
		res.Rewritten = append(res.Rewritten, Replacement{Found: f, New: MirrorName(prefix, im.Name) + "@" + im.Digest})
	}
	out, err := Rewrite(stream, res.Rewritten)
	if err != nil {
		return nil, Pinned{}, err
	}
	return out, res, nil
}

// String names where an unlocked reference was found, for logs and errors.
func (f Found) String() string {
	return fmt.Sprintf("%s (%s %s)", f.Ref, where(f.Source), f.Source.Field)
}
