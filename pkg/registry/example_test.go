package registry_test

import (
	"fmt"

	"github.com/gitless-dev/gitless/pkg/registry"
)

func ExampleParseReference() {
	for _, s := range []string{
		"oci://registry.example.com/platform/app:1.4.0",
		"localhost:5000/app@sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
		"oci-layout:./out:1.4.0",
	} {
		ref, err := registry.ParseReference(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s -> name %s, resolve %s\n", s, ref.Name(), ref.Reference())
	}
	// Output:
	// oci://registry.example.com/platform/app:1.4.0 -> name registry.example.com/platform/app, resolve 1.4.0
	// localhost:5000/app@sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae -> name localhost:5000/app, resolve sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
	// oci-layout:./out:1.4.0 -> name oci-layout:out, resolve 1.4.0
}
