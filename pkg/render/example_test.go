package render_test

import (
	"context"
	"fmt"
	"os"

	"github.com/gitless-dev/gitless/pkg/render"
)

// Render a directory of plain manifests: objects come out in lexical file order, re-serialised
// with sorted keys.
func ExampleRender() {
	err := render.Render(context.Background(), "../../examples/plain", render.Options{}, os.Stdout)
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// apiVersion: v1
	// data:
	//   GREETING: Hello from gitless
	//   LOG_LEVEL: info
	// kind: ConfigMap
	// metadata:
	//   labels:
	//     app.kubernetes.io/name: hello
	//   name: hello-config
	// ---
	// apiVersion: apps/v1
	// kind: Deployment
	// metadata:
	//   labels:
	//     app.kubernetes.io/name: hello
	//   name: hello
	// spec:
	//   replicas: 2
	//   selector:
	//     matchLabels:
	//       app.kubernetes.io/name: hello
	//   template:
	//     metadata:
	//       labels:
	//         app.kubernetes.io/name: hello
	//     spec:
	//       containers:
	//       - envFrom:
	//         - configMapRef:
	//             name: hello-config
	//         image: nginx:1.27
	//         name: web
	//         ports:
	//         - containerPort: 80
	//           name: http
	// ---
	// apiVersion: v1
	// kind: Service
	// metadata:
	//   labels:
	//     app.kubernetes.io/name: hello
	//   name: hello
	// spec:
	//   ports:
	//   - name: http
	//     port: 80
	//     targetPort: http
	//   selector:
	//     app.kubernetes.io/name: hello
}

// Objects gives the parsed objects of an overlay whose base lies outside the render path.
func ExampleObjects() {
	objs, err := render.Objects(context.Background(), "../../examples/kustomize", render.Options{
		Path:   "overlays/zone-a",
		Images: []string{"registry.zone-a.example.com/mirror/nginx=registry.zone-a.example.com/mirror/nginx:1.27.3"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, o := range objs {
		fmt.Println(o.GetKind(), o.GetNamespace(), o.GetName())
	}
	// Output:
	// Namespace  zone-a
	// ConfigMap zone-a guestbook-config-g579mt9dhg
	// Service zone-a guestbook
	// Deployment zone-a guestbook
	// PodDisruptionBudget zone-a guestbook
}
