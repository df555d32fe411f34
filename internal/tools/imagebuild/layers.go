package main

import (
	"archive/tar"
	"bytes"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// file is one entry of a layer. Data is read from Src when set.
type file struct {
	Name     string // absolute path in the image
	Mode     int64
	UID, GID int
	Dir      bool
	Data     []byte
	Src      string
}

// minimalBase is a base with no shell and no package manager: the argocd user the sidecar runs as,
// its home, /tmp, and the Mozilla roots of golang.org/x/crypto/x509roots (pinned in go.mod, so the
// bundle changes only with a commit) where Go looks for them.
func minimalBase(created time.Time) (v1.Image, error) {
	layer, err := tarLayer([]file{
		{Name: "/etc", Mode: 0o755, Dir: true},
		{Name: "/etc/passwd", Mode: 0o644, Data: []byte("root:x:0:0:root:/root:/sbin/nologin\nargocd:x:999:999:argocd:/home/argocd:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n")},
		{Name: "/etc/group", Mode: 0o644, Data: []byte("root:x:0:\nargocd:x:999:\nnogroup:x:65534:\n")},
		{Name: "/home", Mode: 0o755, Dir: true},
		{Name: Home, Mode: 0o755, UID: UID, GID: UID, Dir: true},
		{Name: "/etc/ssl", Mode: 0o755, Dir: true},
		{Name: "/etc/ssl/certs", Mode: 0o755, Dir: true},
		{Name: CABundle, Mode: 0o644, Data: caBundle()},
		{Name: "/tmp", Mode: 0o1777, Dir: true},
	}, created)
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(mutate.ConfigMediaType(empty.Image, types.OCIConfigJSON), types.OCIManifestSchema1)
	return mutate.Append(img, mutate.Addendum{Layer: layer, MediaType: types.OCILayer, History: v1.History{
		Created: v1.Time{Time: created}, CreatedBy: "gitless imagebuild: minimal base (passwd, group, home, tmp)", Comment: "gitless"}})
}

// CABundle is where crypto/x509 reads the system roots on Linux.
const CABundle = "/etc/ssl/certs/ca-certificates.crt"

// caBundle is the NSS roots as PEM. Roots with a distrust-after constraint are left out: a PEM file
// cannot carry the constraint, and trusting them without it would trust more than NSS does.
func caBundle() []byte {
	var buf bytes.Buffer
	for r := range bundle.Roots() {
		if r.Constraint == nil {
			pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: r.Certificate})
		}
	}
	return buf.Bytes()
}

// appLayer holds the binaries and plugin.yaml, owned by root and not writable by the sidecar's user.
func appLayer(s Spec, bins []binaryInfo, created time.Time) (v1.Layer, error) {
	files := []file{
		{Name: "/usr", Mode: 0o755, Dir: true},
		{Name: "/usr/local", Mode: 0o755, Dir: true},
		{Name: BinDir, Mode: 0o755, Dir: true},
		{Name: "/home", Mode: 0o755, Dir: true},
		{Name: Home, Mode: 0o755, UID: UID, GID: UID, Dir: true},
		{Name: path.Dir(path.Dir(PluginPath)), Mode: 0o755, Dir: true},
		{Name: path.Dir(PluginPath), Mode: 0o755, Dir: true},
		{Name: PluginPath, Mode: 0o644, Src: s.PluginYAML},
	}
	for _, b := range bins {
		files = append(files, file{Name: BinDir + "/" + b.Name, Mode: 0o755, Src: b.Path})
	}
	return tarLayer(files, created)
}

// tarLayer writes files in lexical order with fixed times and numeric owners only, so the layer's
// bytes depend on nothing but the files.
func tarLayer(files []file, created time.Time) (v1.Layer, error) {
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		data := f.Data
		if f.Src != "" {
			var err error
			if data, err = os.ReadFile(f.Src); err != nil {
				return nil, fmt.Errorf("reading %s: %w", f.Src, err)
			}
		}
		h := &tar.Header{Name: strings.TrimPrefix(f.Name, "/"), Mode: f.Mode, Uid: f.UID, Gid: f.GID,
			ModTime: created, Typeflag: tar.TypeReg, Size: int64(len(data))}
		if f.Dir {
			h.Name, h.Typeflag, h.Size = h.Name+"/", tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	raw := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil },
		tarball.WithMediaType(types.OCILayer))
}
