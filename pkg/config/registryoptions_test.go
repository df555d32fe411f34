package config

import (
	"testing"
	"time"

	"github.com/gitless-dev/gitless/pkg/registry"
)

func TestRegistryOptions(t *testing.T) {
	c := &Config{
		Registries: []Registry{{
			Endpoint: Endpoint{Host: "hub.example.com", PlainHTTP: true, CAFile: "/ca.pem"},
			Mirrors:  []Endpoint{{Host: "zone.example.com:5000", PlainHTTP: true, CredentialsFile: "/zone.json"}},
		}},
		Limits: Limits{RequestTimeout: Duration{Duration: 7 * time.Second}},
	}
	base := registry.DefaultOptions()
	base.DockerConfig = "/base.json"
	tests := []struct {
		host           string
		plain          bool
		ca, dockerCfg  string
		requestTimeout time.Duration
	}{
		{"hub.example.com", true, "/ca.pem", "/base.json", 7 * time.Second},
		{"zone.example.com:5000", true, "", "/zone.json", 7 * time.Second},
		{"other.example.com", false, "", "/base.json", base.RequestTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			o := c.RegistryOptions(tt.host, base)
			if o.PlainHTTP != tt.plain || o.CAFile != tt.ca || o.DockerConfig != tt.dockerCfg || o.RequestTimeout != tt.requestTimeout {
				t.Errorf("RegistryOptions(%s) = plainHTTP %t, caFile %q, dockerConfig %q, timeout %v", tt.host, o.PlainHTTP, o.CAFile, o.DockerConfig, o.RequestTimeout)
			}
		})
	}
}
