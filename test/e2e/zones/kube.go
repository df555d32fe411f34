package zones

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// startEtcd runs etcd with its data under dir and returns its client URL.
func (z *Zone) startEtcd(ctx context.Context) error {
	ports, err := freePorts(2)
	if err != nil {
		return err
	}
	client := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	peer := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	p, err := z.w.procs.start(z.Dir, "etcd", nil, z.w.bin("etcd"),
		"--name", z.Name, "--data-dir", filepath.Join(z.Dir, "etcd"),
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", z.Name+"="+peer, "--unsafe-no-fsync", "--log-level", "warn")
	if err != nil {
		return err
	}
	z.etcdURL = client
	return waitFor(ctx, p, z.Name+" etcd", time.Minute, func() error {
		resp, err := http.Get(client + "/health")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})
}

// startAPIServer runs kube-apiserver on etcd with client-certificate authentication and RBAC, and
// writes the zone's kubeconfig (context named after the zone, user admin in system:masters).
func (z *Zone) startAPIServer(ctx context.Context) error {
	certs, err := newPKI(z.Dir)
	if err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	p, err := z.w.procs.start(z.Dir, "kube-apiserver", nil, z.w.bin("kube-apiserver"),
		"--etcd-servers", z.etcdURL, "--etcd-prefix", "/registry",
		"--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", fmt.Sprint(port),
		"--tls-cert-file", certs.ServingCert, "--tls-private-key-file", certs.ServingKey,
		"--client-ca-file", certs.CA, "--authorization-mode", "RBAC",
		"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file", certs.SAPub, "--service-account-signing-key-file", certs.SAKey,
		"--service-cluster-ip-range", "10.96.0.0/16", "--allow-privileged=true", "--v=1",
		// The kubernetes Service endpoints reconciler refuses a loopback address; no Pod needs that Service here.
		"--endpoint-reconciler-type", "none")
	if err != nil {
		return err
	}
	z.Server = fmt.Sprintf("https://127.0.0.1:%d", port)
	z.Kubeconfig = filepath.Join(z.Dir, "kubeconfig")
	if err := clientcmd.WriteToFile(*z.kubeconfig(certs), z.Kubeconfig); err != nil {
		return err
	}
	if z.rest, err = clientcmd.BuildConfigFromFlags("", z.Kubeconfig); err != nil {
		return err
	}
	if z.Dynamic, err = dynamic.NewForConfig(z.rest); err != nil {
		return err
	}
	rc, err := rest.HTTPClientFor(z.rest)
	if err != nil {
		return err
	}
	return waitFor(ctx, p, z.Name+" kube-apiserver /readyz", 3*time.Minute, func() error {
		resp, err := rc.Get(z.Server + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz: %s", resp.Status)
		}
		return nil
	})
}

func (z *Zone) kubeconfig(c *pki) *clientcmdapi.Config {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[z.Name] = &clientcmdapi.Cluster{Server: z.Server, CertificateAuthorityData: c.caPEM}
	cfg.AuthInfos[z.Name+"-admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: c.adminCertPEM, ClientKeyData: c.adminKeyPEM}
	cfg.Contexts[z.Name] = &clientcmdapi.Context{Cluster: z.Name, AuthInfo: z.Name + "-admin", Namespace: Namespace}
	cfg.CurrentContext = z.Name
	return cfg
}

// applyFile creates (or replaces) every object of a YAML file, in namespace ns when it has none.
func (z *Zone) applyFile(ctx context.Context, path, ns string, edit func(*unstructured.Unstructured)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	for {
		var obj unstructured.Unstructured
		if err := dec.Decode(&obj.Object); err != nil {
			if err.Error() == "EOF" {
				return nil
			}
			return fmt.Errorf("reading %s: %w", path, err)
		}
		if len(obj.Object) == 0 {
			continue
		}
		if edit != nil {
			edit(&obj)
		}
		if err := z.Apply(ctx, &obj, ns); err != nil {
			return fmt.Errorf("applying %s from %s: %w", obj.GetName(), path, err)
		}
	}
}

// Apply creates obj, or updates it when it exists.
func (z *Zone) Apply(ctx context.Context, obj *unstructured.Unstructured, ns string) error {
	res := z.Resource(obj.GroupVersionKind().GroupVersion().WithResource(plural(obj.GetKind())))
	var ri dynamic.ResourceInterface = res
	if !clusterScoped(obj.GetKind()) {
		if obj.GetNamespace() == "" {
			obj.SetNamespace(ns)
		}
		ri = res.Namespace(obj.GetNamespace())
	}
	_, err := ri.Create(ctx, obj, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		return err
	}
	cur, err := ri.Get(ctx, obj.GetName(), metav1.GetOptions{})
	if err != nil {
		return err
	}
	obj.SetResourceVersion(cur.GetResourceVersion())
	_, err = ri.Update(ctx, obj, metav1.UpdateOptions{})
	return err
}

// Resource is the dynamic client of one resource in this zone.
func (z *Zone) Resource(gvr schema.GroupVersionResource) dynamic.NamespaceableResourceInterface {
	return z.Dynamic.Resource(gvr)
}

func plural(kind string) string {
	k := strings.ToLower(kind)
	switch {
	case strings.HasSuffix(k, "y"):
		return strings.TrimSuffix(k, "y") + "ies"
	case strings.HasSuffix(k, "s"):
		return k + "es"
	}
	return k + "s"
}

func clusterScoped(kind string) bool {
	switch kind {
	case "Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding":
		return true
	}
	return false
}
