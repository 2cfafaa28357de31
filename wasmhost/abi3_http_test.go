package wasmhost_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/wasmhost"
)

// httpAnswer is what http_request answers.
type httpAnswer struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	Error   *struct {
		ID      string `json:"id"`
		Message string `json:"message"`
	} `json:"error"`
}

// remote is a loopback HTTP server for guests to reach.
func remote(t *testing.T, limit int) (*httptest.Server, string) {
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Test", "yes")
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %s", r.Method, r.Header.Get("X-Guest"), body)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(strings.Repeat("x", limit+1)))
	})
	mux.HandleFunc("/exact", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(strings.Repeat("x", limit/2)))
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	mux.HandleFunc("/away", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://localhost:"+port+"/ok", http.StatusFound)
	})
	mux.HandleFunc("/around", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ok", http.StatusFound)
	})
	return srv, port
}

func TestABI3HTTPRequest(t *testing.T) {
	const limit = 128 << 10
	srv, port := remote(t, limit)
	wasm := buildABI3(t)
	s := startServerConfig(t, wasmhost.Config{
		Limits: wasmhost.Limits{CallTimeout: 500 * time.Millisecond, MaxResultSize: limit},
		Settings: map[string]wasmhost.Settings{
			"web":    {AllowedHosts: []string{"127.0.0.1:" + port, "*.example.com"}},
			"domain": {AllowedHosts: []string{"127.0.0.1"}},
		},
	}, map[string]string{"web": wasm, "domain": wasm, "offline": wasm})
	cl := connect(t, s.addr)
	get := func(module, req string) httpAnswer {
		t.Helper()
		r := cl.call(t, `{"controller":"`+module+`/abi3","action":"http","body":`+req+`}`)
		var a httpAnswer
		if err := jsonx.Unmarshal(r.Result, &a); err != nil || r.Status != 200 {
			t.Fatalf("%s %s: %s", module, req, r.raw)
		}
		return a
	}
	a := get("web", `{"method":"POST","url":"`+srv.URL+`/ok","headers":{"X-Guest":"g1"},"body":"hello"}`)
	if a.Error != nil || a.Status != 200 || a.Body != "POST g1 hello" || a.Headers["X-Test"] != "yes" {
		t.Fatalf("allowed host: %+v", a)
	}
	if a := get("web", `{"url":"`+srv.URL+`/around"}`); a.Status != 200 || a.Body != "GET  " {
		t.Fatalf("redirect to the same host: %+v", a)
	}
	if a := get("web", `{"url":"`+srv.URL+`/exact"}`); a.Status != 200 || len(a.Body) != limit/2 {
		t.Fatalf("body within the limit: status %d, %d bytes, %+v", a.Status, len(a.Body), a.Error)
	}
	refusals := []struct {
		module, req, message string
	}{
		{"web", `{"url":"http://127.0.0.2:` + port + `/ok"}`, "host 127.0.0.2:" + port + " not allowed for module web"},
		{"web", `{"url":"http://localhost:` + port + `/ok"}`, "host localhost:" + port + " not allowed for module web"},
		{"web", `{"url":"` + srv.URL + `/away"}`, "host localhost:" + port + " not allowed for module web"},
		{"web", `{"url":"https://example.com/"}`, "host example.com:443 not allowed for module web"},
		{"web", `{"url":"` + srv.URL + `/big"}`, fmt.Sprintf("response body exceeds %d bytes", limit)},
		{"web", `{"url":"ftp://127.0.0.1:` + port + `/"}`, "is not an absolute http or https URL"},
		{"web", `{"url":5}`, "http_request: invalid request"},
		{"web", `{"method":"BAD METHOD","url":"` + srv.URL + `/ok"}`, "invalid method"},
		{"web", `{"url":"` + srv.URL + `/ok","headers":{"X":"` + strings.Repeat("h", 70<<10) + `"}}`, "headers of"},
		// A host without port is allowed on ports 80 and 443 only.
		{"domain", `{"url":"` + srv.URL + `/ok"}`, "host 127.0.0.1:" + port + " not allowed for module domain"},
		{"offline", `{"url":"` + srv.URL + `/ok"}`, "host 127.0.0.1:" + port + " not allowed for module offline"},
	}
	for _, tt := range refusals {
		a := get(tt.module, tt.req)
		if a.Error == nil || a.Error.ID != "plugin.runtime.unexpected_error" || !strings.Contains(a.Error.Message, tt.message) {
			t.Errorf("%s %.80s: %+v, want an error with %q", tt.module, tt.req, a, tt.message)
		}
	}

	// The call's deadline bounds the request: the guest is stopped, or
	// told the deadline passed.
	r := cl.call(t, `{"controller":"web/abi3","action":"http","body":{"url":"`+srv.URL+`/slow"}}`)
	if !(r.Error != nil && r.Error.ID == "core.sandbox.timeout") && !strings.Contains(r.raw, "deadline passed") {
		t.Fatalf("slow server: %s", r.raw)
	}
}
