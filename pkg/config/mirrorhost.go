package config

import "encoding/json"

// transportGiven records which transport settings an endpoint's document gave, so that a setting
// left out can be taken from elsewhere while one given as false or empty still wins.
type transportGiven struct {
	parsed                                                    bool
	plainHTTP, caFile, insecureSkipTLSVerify, credentialsFile bool
	credentials                                               bool
}

func (g *transportGiven) read(b []byte) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return err
	}
	_, g.plainHTTP = keys["plainHTTP"]
	_, g.caFile = keys["caFile"]
	_, g.insecureSkipTLSVerify = keys["insecureSkipTLSVerify"]
	_, g.credentialsFile = keys["credentialsFile"]
	_, g.credentials = keys["credentials"]
	g.parsed = true
	return nil
}

// gives reports which settings e gives: for an endpoint read from a document, the keys it spelled
// out; for one built in code, the settings that are not zero.
func (e Endpoint) gives() transportGiven {
	if e.given.parsed {
		return e.given
	}
	return transportGiven{plainHTTP: e.PlainHTTP, caFile: e.CAFile != "",
		insecureSkipTLSVerify: e.InsecureSkipTLSVerify, credentialsFile: e.CredentialsFile != "",
		credentials: len(e.Credentials) > 0}
}

// MirrorEndpoint returns the mirror m with the transport settings (plainHTTP, caFile,
// insecureSkipTLSVerify, credentialsFile and credentials) of its host's own registries entry where m does not give
// them: `mirrors: [zone-a.example.com]` then reaches the zone as its registries entry says (plain
// HTTP, a private CA, its credentials) instead of HTTPS with defaults. A setting given on the mirror
// wins; without a registries entry for the host, m is returned unchanged. Path mapping
// (pathPrefix, stripPrefix) is the mirror's own and is never inherited.
func (c *Config) MirrorEndpoint(m Endpoint) Endpoint {
	own := c.RegistryFor(m.Host)
	if own == nil {
		return m
	}
	g := m.gives()
	if !g.plainHTTP {
		m.PlainHTTP = own.PlainHTTP
	}
	if !g.caFile {
		m.CAFile = own.CAFile
	}
	if !g.insecureSkipTLSVerify {
		m.InsecureSkipTLSVerify = own.InsecureSkipTLSVerify
	}
	if !g.credentialsFile && !g.credentials { // credentials are taken whole: both forms or neither
		m.CredentialsFile, m.Credentials = own.CredentialsFile, own.Credentials
	}
	return m
}
