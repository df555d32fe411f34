package config

import (
	"reflect"
	"testing"
)

// TestMirrorEndpointTakesHostSettings: a mirror named by host alone takes the transport settings of
// its host's own registries entry; a setting given on the mirror (even false or empty) wins, path
// mapping is never inherited, and a host without an entry keeps the defaults.
func TestMirrorEndpointTakesHostSettings(t *testing.T) {
	doc := `apiVersion: gitless.dev/v1alpha1
kind: Config
registries:
  - host: hub.example.com
    mirrors:
      - ZONE-A.example.com:443
      - {host: zone-a.example.com, plainHTTP: false, caFile: /mirror-ca.pem, stripPrefix: platform}
      - {host: zone-a.example.com, insecureSkipTLSVerify: false, credentialsFile: ""}
      - zone-b.example.com
  - host: zone-a.example.com
    plainHTTP: true
    caFile: /zone-ca.pem
    insecureSkipTLSVerify: true
    credentialsFile: /zone-creds.json
`
	c, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	m := c.Registries[0].Mirrors
	tests := []struct {
		name string
		in   Endpoint
		want Endpoint
	}{
		{"host alone", m[0], Endpoint{Host: "zone-a.example.com", PlainHTTP: true, CAFile: "/zone-ca.pem",
			InsecureSkipTLSVerify: true, CredentialsFile: "/zone-creds.json"}},
		{"mirror's own settings win", m[1], Endpoint{Host: "zone-a.example.com", PlainHTTP: false, CAFile: "/mirror-ca.pem",
			InsecureSkipTLSVerify: true, CredentialsFile: "/zone-creds.json", StripPrefix: "platform"}},
		{"given as false and empty", m[2], Endpoint{Host: "zone-a.example.com", PlainHTTP: true, CAFile: "/zone-ca.pem"}},
		{"no registries entry", m[3], Endpoint{Host: "zone-b.example.com"}},
		{"built in code", Endpoint{Host: "zone-a.example.com", CAFile: "/code-ca.pem"}, Endpoint{Host: "zone-a.example.com",
			PlainHTTP: true, CAFile: "/code-ca.pem", InsecureSkipTLSVerify: true, CredentialsFile: "/zone-creds.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.MirrorEndpoint(tt.in)
			got.given = transportGiven{}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("MirrorEndpoint = %+v, want %+v", got, tt.want)
			}
		})
	}
}
