package signature_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	specs "github.com/opencontainers/image-spec/specs-go"
	"oras.land/oras-go/v2/content/oci"

	"github.com/gitless-dev/gitless/internal/sigtest"
	"github.com/gitless-dev/gitless/internal/testregistry"
	"github.com/gitless-dev/gitless/pkg/config"
	"github.com/gitless-dev/gitless/pkg/signature"
)

var manifestVersion = specs.Versioned{SchemaVersion: 2}

var formats = []signature.Format{signature.FormatBundle, signature.FormatLegacy}

func TestSignVerifyRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, kind := range testregistry.Kinds {
		for _, format := range formats {
			t.Run(string(kind)+"/"+string(format), func(t *testing.T) {
				reg := testregistry.New(t, kind)
				repo, repository := sigtest.NewRepo(t, reg, "platform/app")
				kp := sigtest.NewKeyPair(t, t.TempDir(), "k")
				desc := sigtest.PushArtifact(t, repo, "1.4.0", "v1.4.0")
				sigDesc, err := signature.Sign(ctx, repo, kp.Signer, repository, desc,
					signature.WithFormat(format), signature.WithTag("1.4.0"), signature.WithAnnotations(map[string]string{"team": "platform"}))
				if err != nil {
					t.Fatal(err)
				}
				v := keyVerifier(t, nil, kp.Pub)
				res, err := v.Verify(ctx, sigtest.OpenRepo(t, repository), repository, "1.4.0")
				if err != nil {
					t.Fatalf("Verify(tag) = %v (exit %d)", err, signature.ExitCode(err))
				}
				if !res.TagBound || res.Digest != desc.Digest || len(res.Signatures) != 1 {
					t.Fatalf("result = %+v", res)
				}
				s := res.Signatures[0]
				if s.Format != format || s.Manifest != sigDesc.Digest || s.BoundTag != "1.4.0" || s.Annotations["team"] != "platform" || s.KeySource != kp.Pub || len(s.KeyID) != 64 {
					t.Fatalf("signature info = %+v", s)
				}
				res, err = v.Verify(ctx, sigtest.OpenRepo(t, repository), repository, desc.Digest.String())
				if err != nil || res.Tag != "" || res.TagBound {
					t.Fatalf("Verify(digest) = %+v, %v", res, err)
				}
				if _, err := json.Marshal(res); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// Both formats side by side, several signatures, and a second signature appended to the legacy tag.
func TestSignAccumulates(t *testing.T) {
	ctx := context.Background()
	for _, kind := range testregistry.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			reg := testregistry.New(t, kind)
			repo, repository := sigtest.NewRepo(t, reg, "app")
			dir := t.TempDir()
			a, b := sigtest.NewKeyPair(t, dir, "a"), sigtest.NewKeyPair(t, dir, "b")
			desc := sigtest.PushArtifact(t, repo, "1.0", "x")
			for _, kp := range []*sigtest.KeyPair{a, b} {
				for _, f := range formats {
					if _, err := signature.Sign(ctx, repo, kp.Signer, repository, desc, signature.WithFormat(f), signature.WithTag("1.0")); err != nil {
						t.Fatal(err)
					}
				}
			}
			res, err := keyVerifier(t, nil, dir).Verify(ctx, sigtest.OpenRepo(t, repository), repository, "1.0") // a directory of keys
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Signatures) != 4 || res.Signatures[0].Format != signature.FormatBundle || res.Signatures[3].Format != signature.FormatLegacy {
				t.Fatalf("signatures = %+v", res.Signatures)
			}
			res, err = keyVerifier(t, nil, b.Pub).Verify(ctx, sigtest.OpenRepo(t, repository), repository, "1.0")
			if err != nil || len(res.Signatures) != 2 {
				t.Fatalf("verify with b = %+v, %v", res, err)
			}
		})
	}
}

func TestSignVerifyOCILayout(t *testing.T) {
	ctx := context.Background()
	store, err := oci.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	kp := sigtest.NewKeyPair(t, t.TempDir(), "k")
	desc := sigtest.PushArtifact(t, store, "2.0", "layout")
	for _, f := range formats {
		if _, err := signature.Sign(ctx, store, kp.Signer, "hub.example.com/app", desc, signature.WithFormat(f), signature.WithTag("2.0")); err != nil {
			t.Fatal(err)
		}
	}
	res, err := keyVerifier(t, nil, kp.Pub).Verify(ctx, store, "hub.example.com/app", "2.0")
	if err != nil || len(res.Signatures) != 2 || !res.TagBound {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
}

func TestSignReferenceBindsTags(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t, testregistry.Distribution)
	repo, repository := sigtest.NewRepo(t, reg, "app")
	kp := sigtest.NewKeyPair(t, t.TempDir(), "k")
	desc := sigtest.PushArtifact(t, repo, "3.0", "three")
	for _, ref := range []string{"3.0", desc.Digest.String()} {
		subject, _, err := signature.SignReference(ctx, repo, kp.Signer, repository, ref, signature.WithFormat(signature.FormatLegacy))
		if err != nil || subject.Digest != desc.Digest {
			t.Fatalf("SignReference(%s) = %v, %v", ref, subject.Digest, err)
		}
	}
	res, err := keyVerifier(t, nil, kp.Pub).Verify(ctx, sigtest.OpenRepo(t, repository), repository, "3.0")
	if err != nil || !res.TagBound || len(res.Signatures) != 2 || res.Signatures[0].BoundTag != "3.0" || res.Signatures[1].BoundTag != "" {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
	if _, _, err := signature.SignReference(ctx, repo, kp.Signer, repository, "nope"); err == nil {
		t.Fatal("signing a missing tag must fail")
	}
}

func TestSignRefusesWrongTag(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t, testregistry.Referrers)
	repo, repository := sigtest.NewRepo(t, reg, "app")
	kp := sigtest.NewKeyPair(t, t.TempDir(), "k")
	d1 := sigtest.PushArtifact(t, repo, "1.0", "one")
	sigtest.PushArtifact(t, repo, "2.0", "two")
	if _, err := signature.Sign(ctx, repo, kp.Signer, repository, d1, signature.WithTag("2.0")); err == nil || !strings.Contains(err.Error(), "points to") {
		t.Fatalf("Sign with a tag naming another digest = %v", err)
	}
	if _, err := signature.Sign(ctx, repo, kp.Signer, repository, d1, signature.WithTlogUpload("https://rekor.example")); !errors.Is(err, signature.ErrUnsupported) {
		t.Fatalf("Sign with tlog upload = %v, want ErrUnsupported", err)
	}
}

func TestCacheByDigestAndPolicy(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t, testregistry.Referrers)
	r, repository := sigtest.NewRepo(t, reg, "app")
	kp := sigtest.NewKeyPair(t, t.TempDir(), "k")
	desc := sigtest.PushArtifact(t, r, "1.0", "x")
	if err := r.Tag(ctx, desc, "latest"); err != nil {
		t.Fatal(err)
	}
	if _, err := signature.Sign(ctx, r, kp.Signer, repository, desc, signature.WithTag("1.0")); err != nil {
		t.Fatal(err)
	}
	repo := &countingRepo{Repository: sigtest.OpenRepo(t, repository)}
	cache := signature.NewCache(10)
	v := keyVerifier(t, []signature.VerifierOption{signature.WithCache(cache)}, kp.Pub)
	if _, err := v.Verify(ctx, repo, repository, "1.0"); err != nil {
		t.Fatal(err)
	}
	before := repo.fetches.Load()
	res, err := v.Verify(ctx, repo, repository, desc.Digest.String())
	if err != nil || !res.Cached || repo.fetches.Load() != before || cache.Len() != 1 {
		t.Fatalf("second verify = %+v, %v (fetches %d -> %d)", res, err, before, repo.fetches.Load())
	}
	// The cache never answers for a tag it has not seen bound: "latest" is checked afresh, and fails.
	if _, err := v.Verify(ctx, repo, repository, "latest"); !errors.Is(err, signature.ErrTagNotBound) {
		t.Fatalf("unbound tag through the cache = %v", err)
	}
	// Another policy (another key) does not share entries.
	other := sigtest.NewKeyPair(t, t.TempDir(), "o")
	if _, err := keyVerifier(t, []signature.VerifierOption{signature.WithCache(cache)}, other.Pub).Verify(ctx, repo, repository, "1.0"); signature.ExitCode(err) != 12 {
		t.Fatalf("other policy = %v", err)
	}
}

func TestInsecureAcceptUnsigned(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t, testregistry.Referrers)
	repo, repository := sigtest.NewRepo(t, reg, "dev/app")
	sigtest.PushArtifact(t, repo, "0.1", "unsigned")
	var logs bytes.Buffer
	v, err := signature.NewVerifier(&config.Policy{Match: "**", InsecureAcceptUnsigned: true},
		signature.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.Verify(ctx, repo, repository, "0.1")
	if err != nil || !res.Insecure {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "insecureAcceptUnsigned") {
		t.Fatalf("no warning logged: %q", logs.String())
	}
}

func TestNewVerifierRefusals(t *testing.T) {
	tests := []struct {
		name   string
		policy config.Policy
		want   error
	}{
		{"keyless without identity", config.Policy{Match: "**", Keyless: &config.Keyless{TrustedRoot: "x.json"}}, signature.ErrKeylessNeedsIdentity},
		{"keyless without subject", config.Policy{Match: "**", Keyless: &config.Keyless{Issuer: "https://i"}}, signature.ErrKeylessNeedsIdentity},
		{"nothing", config.Policy{Match: "**"}, signature.ErrNoTrust},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := signature.NewVerifier(&tt.policy); !errors.Is(err, tt.want) {
				t.Fatalf("NewVerifier() = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := signature.NewVerifier(&config.Policy{Match: "**", Keys: []string{t.TempDir()}}); err == nil {
		t.Fatal("an empty key directory must be refused")
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{signature.ErrNoSignature, 10},
		{signature.ErrTagNotFound, 11},
		{signature.ErrNoValidSignature, 12},
		{signature.ErrTagNotBound, 12},
		{config.ErrNoMatchingPolicy, 12},
		{errors.New("connection refused"), 1},
	}
	for _, tt := range tests {
		if got := signature.ExitCode(tt.err); got != tt.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

// A registry that fails is a transport error (exit 1), never "no signature" or "invalid".
func TestTransportFailureIsNotAVerdict(t *testing.T) {
	ctx := context.Background()
	kp := sigtest.NewKeyPair(t, t.TempDir(), "k")
	v := keyVerifier(t, nil, kp.Pub)
	for _, kind := range testregistry.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			var failing atomic.Bool
			reg := testregistry.New(t, kind, testregistry.WithMiddleware(func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if failing.Load() && (strings.Contains(r.URL.Path, "/referrers/") || strings.Contains(r.URL.Path, "/manifests/sha256-")) {
						http.Error(w, "denied", http.StatusForbidden) // not retried, unlike 5xx
						return
					}
					h.ServeHTTP(w, r)
				})
			}))
			repo, repository := sigtest.NewRepo(t, reg, "app")
			desc := sigtest.PushArtifact(t, repo, "1.0", "x")
			if _, err := signature.Sign(ctx, repo, kp.Signer, repository, desc, signature.WithTag("1.0")); err != nil {
				t.Fatal(err)
			}
			failing.Store(true)
			_, err := v.Verify(ctx, sigtest.OpenRepo(t, repository), repository, "1.0")
			if err == nil || signature.ExitCode(err) != 1 {
				t.Fatalf("Verify() through a failing registry = %v (exit %d), want a transport error (exit 1)", err, signature.ExitCode(err))
			}
			reg.Close()
			if _, err := v.Verify(ctx, sigtest.OpenRepo(t, repository), repository, "1.0"); signature.ExitCode(err) != 1 {
				t.Fatalf("Verify() against a closed registry = %v, want exit 1", err)
			}
		})
	}
}

func TestVerifyConcurrently(t *testing.T) {
	ctx := context.Background()
	reg := testregistry.New(t, testregistry.Referrers)
	repo, repository := sigtest.NewRepo(t, reg, "app")
	kp := sigtest.NewKeyPair(t, t.TempDir(), "k")
	desc := sigtest.PushArtifact(t, repo, "1.0", "x")
	if _, err := signature.Sign(ctx, repo, kp.Signer, repository, desc, signature.WithTag("1.0")); err != nil {
		t.Fatal(err)
	}
	v := keyVerifier(t, []signature.VerifierOption{signature.WithCache(signature.NewCache(4))}, kp.Pub)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			res, err := v.Verify(ctx, sigtest.OpenRepo(t, repository), repository, "1.0")
			if err == nil {
				res.Signatures[0].BoundTag = "mutated by a caller" // must not leak into the cache
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if res, err := v.Verify(ctx, repo, repository, "1.0"); err != nil || res.Signatures[0].BoundTag != "1.0" {
		t.Fatalf("after concurrent use: %+v, %v", res, err)
	}
}
