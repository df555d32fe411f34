// Command demoimage pushes small multi-platform images for make demo and make bench: an index over
// linux/amd64 and linux/arm64 manifests of random layers, so that image copying and pinning can be shown
// without any registry but those on 127.0.0.1.
//
// Usage: go run ./internal/tools/demoimage [-plain-http] [-seed N] REF...
package main

import (
	"flag"
	"fmt"
	"math/rand"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func main() {
	plainHTTP := flag.Bool("plain-http", false, "talk HTTP to the registry")
	seed := flag.Int64("seed", 1, "seed for the random layers, so a rerun pushes the same digests")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: demoimage [-plain-http] [-seed N] REF...")
		os.Exit(2)
	}
	for i, arg := range flag.Args() {
		var opts []name.Option
		if *plainHTTP {
			opts = append(opts, name.Insecure)
		}
		ref, err := name.ParseReference(arg, opts...)
		if err != nil {
			fail(err)
		}
		idx, err := index(*seed + int64(i))
		if err != nil {
			fail(err)
		}
		if err := remote.WriteIndex(ref, idx); err != nil {
			fail(err)
		}
		d, _ := idx.Digest()
		fmt.Printf("%s@%s\n", ref.Context().Name(), d)
	}
}

func index(seed int64) (v1.ImageIndex, error) {
	var adds []mutate.IndexAddendum
	for _, p := range []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}} {
		img, err := random.Image(256, 1, random.WithSource(rand.NewSource(seed)))
		if err != nil {
			return nil, err
		}
		seed += 100
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, err
		}
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture = p.OS, p.Architecture
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			return nil, err
		}
		img = mutate.ConfigMediaType(mutate.MediaType(img, types.OCIManifestSchema1), types.OCIConfigJSON)
		p := p
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}})
	}
	return mutate.AppendManifests(empty.Index, adds...), nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "demoimage:", err)
	os.Exit(1)
}
