package main

import (
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// MediaTypeSPDX is the SBOM's media type and the referrer's artifactType.
const MediaTypeSPDX = "application/spdx+json"

// spdxDocument describes, in SPDX 2.3, each binary and the Go modules linked into it, read from the
// build information the Go linker embeds (what `go version -m` prints). Its fields depend only on the
// binaries and the image digest, so the SBOM is as reproducible as the image.
// Reference: https://spdx.github.io/spdx-spec/v2.3/
func spdxDocument(s Spec, bins []binaryInfo, image v1.Hash, created time.Time) ([]byte, error) {
	doc := spdxDoc{
		SPDXVersion: "SPDX-2.3", DataLicense: "CC0-1.0", SPDXID: "SPDXRef-DOCUMENT",
		Name:              "gitless-argocd-cmp-" + s.Version,
		DocumentNamespace: "https://gitless.dev/spdx/argocd-cmp/" + image.Hex,
		CreationInfo:      spdxCreation{Created: created.Format(time.RFC3339), Creators: []string{"Tool: gitless-imagebuild"}},
	}
	for _, b := range bins {
		info, err := buildinfo.ReadFile(b.Path)
		if err != nil {
			return nil, fmt.Errorf("reading the build information of %s: %w", b.Path, err)
		}
		binID := spdxID("bin", b.Platform.OS, b.Platform.Architecture, b.Name)
		doc.Packages = append(doc.Packages, spdxPackage{
			SPDXID: binID, Name: b.Name, VersionInfo: s.Version, PrimaryPurpose: "APPLICATION",
			DownloadLocation: "NOASSERTION", Comment: fmt.Sprintf("%s for %s, built with %s", info.Path, b.Platform, info.GoVersion),
			ExternalRefs: purl("pkg:golang/" + info.Main.Path + "@" + s.Version + "?type=module"),
		})
		doc.Relationships = append(doc.Relationships, spdxRelationship{"SPDXRef-DOCUMENT", "DESCRIBES", binID})
		for _, m := range info.Deps {
			if m.Replace != nil {
				m = m.Replace
			}
			id := spdxID("mod", b.Platform.OS, b.Platform.Architecture, b.Name, m.Path, m.Version)
			doc.Packages = append(doc.Packages, spdxPackage{
				SPDXID: id, Name: m.Path, VersionInfo: m.Version, DownloadLocation: "NOASSERTION", PrimaryPurpose: "LIBRARY",
				ExternalRefs: purl("pkg:golang/" + m.Path + "@" + m.Version),
			})
			doc.Relationships = append(doc.Relationships, spdxRelationship{binID, "DEPENDS_ON", id})
		}
	}
	return json.MarshalIndent(doc, "", "  ")
}

type spdxDoc struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      spdxCreation       `json:"creationInfo"`
	Packages          []spdxPackage      `json:"packages"`
	Relationships     []spdxRelationship `json:"relationships"`
}

type spdxCreation struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

type spdxPackage struct {
	SPDXID           string         `json:"SPDXID"`
	Name             string         `json:"name"`
	VersionInfo      string         `json:"versionInfo,omitempty"`
	DownloadLocation string         `json:"downloadLocation"`
	PrimaryPurpose   string         `json:"primaryPackagePurpose,omitempty"`
	Comment          string         `json:"comment,omitempty"`
	Checksums        []spdxChecksum `json:"checksums,omitempty"`
	ExternalRefs     []spdxRef      `json:"externalRefs,omitempty"`
}

type spdxChecksum struct {
	Algorithm string `json:"algorithm"`
	Value     string `json:"checksumValue"`
}

type spdxRef struct {
	Category string `json:"referenceCategory"`
	Type     string `json:"referenceType"`
	Locator  string `json:"referenceLocator"`
}

type spdxRelationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}

func purl(p string) []spdxRef {
	return []spdxRef{{Category: "PACKAGE-MANAGER", Type: "purl", Locator: p}}
}

// spdxID builds an SPDX identifier: letters, digits, '.' and '-' only.
func spdxID(parts ...string) string {
	id := "SPDXRef-" + strings.Join(parts, "-")
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, id)
}
