package cmp

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"os"
	"path/filepath"

	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/registry"
)

// acceptanceKey keys a cached acceptance of a digest: the policy's fields, the bytes of every file of
// key material it names (public keys, trusted root, Notation certificates; a directory with every
// file under it), the repository and the tag. Changing a key file, adding one to a key directory or
// editing the policy therefore misses the cache, as it does for the verifier's own result cache,
// and so does asking for another repository or tag. It is "" (nothing cached) for an insecure
// policy, whose every use is logged, and when a file cannot be read (the verifier then says why).
func acceptanceKey(policy *config.Policy, ref registry.Reference) string {
	if policy.InsecureAcceptUnsigned {
		return ""
	}
	h := sha256.New()
	fmt.Fprintf(h, "gitless acceptance v1\n%s\n%s\n%s\n", policy.Hash(), ref.Name(), ref.Tag)
	paths := append([]string(nil), policy.Keys...)
	if policy.Keyless != nil {
		if policy.Keyless.TrustedRoot == "" {
			return "" // trust material from elsewhere than a file: not keyed, not cached
		}
		paths = append(paths, policy.Keyless.TrustedRoot)
	}
	if n := policy.Notation; n != nil {
		paths = append(append(paths, n.Certificates...), n.TimestampCertificates...)
	}
	for _, p := range paths {
		if err := hashTree(h, p); err != nil {
			return ""
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// hashTree writes the name and contents of path, or of every file at the top of the directory path
// (what the verifiers read: keys and certificates are taken from a directory's top level), to h. Links
// are followed, as the verifiers follow them: a Kubernetes ConfigMap or Secret volume holds each key as
// a link into `..data`, itself a link to the kubelet's current timestamped directory; directories,
// such as those two, are skipped.
func hashTree(h hash.Hash, path string) error {
	fmt.Fprintf(h, "path %s\n", path)
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	files := []string{path}
	if fi.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			return err
		}
		files = files[:0]
		for _, e := range entries {
			p := filepath.Join(path, e.Name())
			if st, err := os.Stat(p); err != nil {
				return err
			} else if !st.IsDir() {
				files = append(files, p)
			}
		}
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "file %s %d\n", p, len(b))
		h.Write(b)
	}
	return nil
}
