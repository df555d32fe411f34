package testregistry

import (
	"net/http"
	"testing"
)

func TestRegistriesAnswerV2(t *testing.T) {
	for _, k := range Kinds {
		t.Run(string(k), func(t *testing.T) {
			r := New(t, k)
			resp, err := http.Get(r.URL + "/v2/")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /v2/ = %d", resp.StatusCode)
			}
			if r.Requests() != 1 {
				t.Fatalf("requests = %d, want 1", r.Requests())
			}
		})
	}
}
