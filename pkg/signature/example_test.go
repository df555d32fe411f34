package signature_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/oci"

	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/signature"
)

// Example signs an artifact in an OCI layout through its tag and verifies it by tag, which checks
// the signed tag binding.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "gitless-example")
	defer os.RemoveAll(dir)
	store, _ := oci.New(filepath.Join(dir, "layout"))
	desc, _ := oras.PackManifest(ctx, store, oras.PackManifestVersion1_1, "application/vnd.example+type", oras.PackManifestOptions{})
	store.Tag(ctx, desc, "1.4.0")

	priv, pub, _ := signature.GenerateKeyPair([]byte("secret"))
	os.WriteFile(filepath.Join(dir, "cosign.key"), priv, 0o600)
	os.WriteFile(filepath.Join(dir, "cosign.pub"), pub, 0o644)
	signer, err := signature.LoadSigner(filepath.Join(dir, "cosign.key"), []byte("secret"))
	if err != nil {
		panic(err)
	}
	if _, err := signature.Sign(ctx, store, signer, "hub.example.com/platform/app", desc, signature.WithTag("1.4.0")); err != nil {
		panic(err)
	}

	v, err := signature.NewVerifier(&config.Policy{Match: "hub.example.com/platform/**", Keys: []string{filepath.Join(dir, "cosign.pub")}})
	if err != nil {
		panic(err)
	}
	res, err := v.Verify(ctx, store, "hub.example.com/platform/app", "1.4.0")
	if err != nil {
		fmt.Println("exit code", signature.ExitCode(err), err)
		return
	}
	fmt.Println(res.Signatures[0].Format, res.TagBound, res.Signatures[0].BoundTag)
	// Output: bundle true 1.4.0
}
