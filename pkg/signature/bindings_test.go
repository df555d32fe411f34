package signature

import "testing"

// TestBindingHint: the refusal lists each tag once (a tag signed in both formats, or signed twice,
// used to appear repeatedly) and, when the signatures bind only another repository's tags, names
// that repository and the path mapping that lets a copy verify.
func TestBindingHint(t *testing.T) {
	const here = "zone.example.com/zone-a/guestbook"
	sig := func(repo, tag string) SignatureInfo { return SignatureInfo{SignedRepository: repo, BoundTag: tag} }
	tests := []struct {
		name string
		sigs []SignatureInfo
		want string
	}{
		{"tags here, deduplicated and sorted", []SignatureInfo{
			sig("hub.example.com/zone-a/guestbook", "1.4.0"), sig("hub.example.com/zone-a/guestbook", "1.4.0"),
			sig("zone.example.com/zone-a/guestbook", "1.3.0"), sig("hub.example.com/platform/guestbook", "1.4.0")},
			"tags signed for this repository: 1.3.0, 1.4.0; verify by digest or sign the tag"},
		{"only another repository", []SignatureInfo{
			sig("hub.example.com/platform/guestbook", "1.4.0"), sig("hub.example.com/platform/guestbook", "1.4.0"), {}},
			"the signatures bind hub.example.com/platform/guestbook:1.4.0, not " + here + ": if this is a copy under another path, " +
				"map the mirror's path to the upstream one (pathPrefix/stripPrefix in the config's mirrors) and pass the config, or verify by digest"},
		{"no binding at all", []SignatureInfo{{}, {}},
			"no signature binds any tag; verify by digest or sign the tag (kubectl gitless sign REPOSITORY:TAG)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Result{Signatures: tt.sigs}
			if got := r.bindingHint(here); got != tt.want {
				t.Fatalf("bindingHint()\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}
