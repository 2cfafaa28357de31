package node_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/config"
)

// httpAnswer is a decoded HTTP answer.
type httpAnswer struct {
	status int
	header http.Header
	raw    []byte
	env    struct {
		RequestID  string          `json:"requestId"`
		Status     int             `json:"status"`
		Controller *string         `json:"controller"`
		Action     *string         `json:"action"`
		Index      string          `json:"index"`
		Collection string          `json:"collection"`
		Result     json.RawMessage `json:"result"`
		Error      *struct {
			ID     string `json:"id"`
			Status int    `json:"status"`
		} `json:"error"`
		// ID is set when the answer is a bare error.
		ID string `json:"id"`
	}
}

// do sends one HTTP request to the node and decodes the answer.
func do(t *testing.T, srv *testServer, method, path, body string, header map[string]string) *httpAnswer {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+srv.node.HTTPAddr().String()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return send(t, req)
}

func send(t *testing.T, req *http.Request) *httpAnswer {
	t.Helper()
	resp, err := (&http.Client{Timeout: wait}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := &httpAnswer{status: resp.StatusCode, header: resp.Header}
	var rd io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" && !resp.Uncompressed {
		if rd, err = gzip.NewReader(resp.Body); err != nil {
			t.Fatal(err)
		}
	}
	if a.raw, err = io.ReadAll(rd); err != nil {
		t.Fatal(err)
	}
	if req.Method != http.MethodHead {
		if err := json.Unmarshal(a.raw, &a.env); err != nil {
			t.Fatalf("%s %s: answer is no JSON: %v: %s", req.Method, req.URL, err, a.raw)
		}
	}
	return a
}

// errorID returns the error id of an envelope or of a bare error.
func (a *httpAnswer) errorID() string {
	if a.env.Error != nil {
		return a.env.Error.ID
	}
	return a.env.ID
}

func TestHTTPRoutes(t *testing.T) {
	srv := startServer(t, nil)
	a := do(t, srv, "GET", "/_now", "", map[string]string{"X-Kuzzle-Request-Id": "r-now"})
	if a.status != 200 || a.env.Status != 200 || a.env.RequestID != "r-now" || *a.env.Controller != "server" || *a.env.Action != "now" ||
		!bytes.HasPrefix(a.env.Result, []byte(`{"now":`)) || a.header.Get("X-Kuzzle-Request-Id") != "r-now" ||
		a.header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /_now: %d %v %s", a.status, a.header, a.raw)
	}
	steps := []struct {
		method, path, body string
		status             int
		errorID            string
	}{
		{"POST", "/shop/_create", "", 200, ""},
		{"PUT", "/shop/items", `{"properties":{"name":{"type":"keyword"}}}`, 200, ""},
		{"POST", "/shop/items/bike/_create?refresh=wait_for", `{"name":"bike","price":100}`, 200, ""},
		{"POST", "/shop/items/bike/_create", `{"name":"bike"}`, 400, "services.storage.document_already_exists"},
		{"GET", "/shop/items/bike", "", 200, ""},
		{"GET", "/shop/items/nope", "", 404, "services.storage.not_found"},
		{"PUT", "/shop/items/bike/_update", `{"price":90}`, 200, ""},
		{"POST", "/shop/items/_search", `{"query":{"match":{"name":"bike"}}}`, 200, ""},
		{"POST", "/shop/items/_count", "", 200, ""},
		{"DELETE", "/shop/items/bike", "", 200, ""},
		{"GET", "/no/such/route/here/at/all", "", 404, "network.http.url_not_found"},
		{"PATCH", "/_now", "", 404, "network.http.url_not_found"},
		{"GET", "/_query", "", 404, "network.http.url_not_found"},
		{"PROPFIND", "/_now", "", 400, "network.http.unsupported_verb"},
		{"POST", "/shop/items/_search", `{"query":`, 400, "network.http.body_parse_failed"},
		{"POST", "/_query", `{"controller":"server","action":"now"}`, 200, ""},
		{"POST", "/_query", `{"controller":"nope","action":"now"}`, 404, "api.process.controller_not_found"},
	}
	for _, s := range steps {
		a := do(t, srv, s.method, s.path, s.body, nil)
		if a.status != s.status || a.errorID() != s.errorID {
			t.Fatalf("%s %s: status %d, error %q, want %d %q: %s", s.method, s.path, a.status, a.errorID(), s.status, s.errorID, a.raw)
		}
	}
	a = do(t, srv, "POST", "/shop/items/_count", "", nil)
	if string(a.env.Result) != `{"count":0}` || a.env.Index != "shop" || a.env.Collection != "items" {
		t.Fatalf("count after delete: %s", a.raw)
	}
}

func TestHTTPLimitsAndEncodings(t *testing.T) {
	srv := startServer(t, func(cfg *config.Config) { cfg.Server.MaxRequestSize = 1024 })
	big := `{"query":{"match":{"name":"` + strings.Repeat("x", 2000) + `"}}}`
	if a := do(t, srv, "POST", "/_query", big, nil); a.status != 413 || a.errorID() != "network.http.request_too_large" {
		t.Fatalf("oversized body: %d %s", a.status, a.raw)
	}
	// A small gzip body that inflates past the bound is refused too.
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, _ = zw.Write([]byte(big))
	_ = zw.Close()
	req, _ := http.NewRequest("POST", "http://"+srv.node.HTTPAddr().String()+"/_query", bytes.NewReader(zipped.Bytes()))
	req.Header.Set("Content-Encoding", "gzip")
	if a := send(t, req); a.status != 413 || a.errorID() != "network.http.request_too_large" {
		t.Fatalf("gzip bomb: %d %s", a.status, a.raw)
	}
	zipped.Reset()
	zw = gzip.NewWriter(&zipped)
	_, _ = zw.Write([]byte(`{"controller":"server","action":"now","requestId":"ignored"}`))
	_ = zw.Close()
	req, _ = http.NewRequest("POST", "http://"+srv.node.HTTPAddr().String()+"/_query", bytes.NewReader(zipped.Bytes()))
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Accept-Encoding", "deflate;q=0.5, gzip;q=0.9")
	req.Header.Set("Origin", "http://example.com")
	a := send(t, req)
	if a.status != 200 || a.header.Get("Content-Encoding") != "gzip" || !bytes.HasPrefix(a.env.Result, []byte(`{"now":`)) {
		t.Fatalf("gzip request and answer: %d %v %s", a.status, a.header, a.raw)
	}
	if a.header.Get("Access-Control-Allow-Origin") != "http://example.com" || a.header.Get("Vary") != "Origin" ||
		!strings.Contains(a.header.Get("Access-Control-Allow-Methods"), "PATCH") {
		t.Fatalf("CORS headers: %v", a.header)
	}
	if a := do(t, srv, "POST", "/_query", `{}`, map[string]string{"Content-Encoding": "br"}); a.status != 400 || a.errorID() != "network.http.unsupported_compression" {
		t.Fatalf("brotli: %d %s", a.status, a.raw)
	}
	if a := do(t, srv, "POST", "/_query", `{}`, map[string]string{"Content-Type": "text/plain"}); a.status != 400 || a.errorID() != "network.http.unsupported_content" {
		t.Fatalf("text/plain: %d %s", a.status, a.raw)
	}
	if a := do(t, srv, "OPTIONS", "/_now", "", map[string]string{"Origin": "http://x"}); a.status != 200 || a.header.Get("Access-Control-Allow-Origin") != "http://x" {
		t.Fatalf("OPTIONS: %d %v %s", a.status, a.header, a.raw)
	}
}

func TestHTTPBearerToken(t *testing.T) {
	srv := startServer(t, nil)
	user := `{"content":{"profileIds":["default"]},"credentials":{"local":{"username":"hugo","password":"a long password"}}}`
	if a := do(t, srv, "POST", "/users/hugo/_create", user, nil); a.status != 200 {
		t.Fatalf("create user: %d %s", a.status, a.raw)
	}
	a := do(t, srv, "POST", "/_login/local", `{"username":"hugo","password":"a long password"}`, nil)
	var login struct {
		JWT string `json:"jwt"`
	}
	if err := json.Unmarshal(a.env.Result, &login); err != nil || a.status != 200 || login.JWT == "" {
		t.Fatalf("login: %d %s", a.status, a.raw)
	}
	a = do(t, srv, "GET", "/_me", "", map[string]string{"Authorization": "Bearer " + login.JWT})
	if a.status != 200 || !bytes.Contains(a.env.Result, []byte(`"_id":"hugo"`)) {
		t.Fatalf("GET /_me with the token: %d %s", a.status, a.raw)
	}
	a = do(t, srv, "GET", "/_me", "", nil)
	if a.status != 200 || !bytes.Contains(a.env.Result, []byte(`"_id":"-1"`)) {
		t.Fatalf("GET /_me without a token: %d %s", a.status, a.raw)
	}
	if a := do(t, srv, "GET", "/_me", "", map[string]string{"Authorization": "Bearer nonsense"}); a.status != 401 || a.errorID() != "security.token.invalid" {
		t.Fatalf("bad token: %d %s", a.status, a.raw)
	}
}

func TestHTTPSubscriptionEndsWithItsRequest(t *testing.T) {
	srv := startServer(t, nil)
	do(t, srv, "POST", "/zoo/_create", "", nil)
	do(t, srv, "PUT", "/zoo/cats", "", nil)
	a := do(t, srv, "POST", "/_query", `{"controller":"realtime","action":"subscribe","index":"zoo","collection":"cats","body":{}}`, nil)
	var sub struct {
		RoomID string `json:"roomId"`
	}
	if err := json.Unmarshal(a.env.Result, &sub); err != nil || a.status != 200 || sub.RoomID == "" {
		t.Fatalf("subscribe over HTTP: %d %s", a.status, a.raw)
	}
	a = do(t, srv, "POST", "/_query", `{"controller":"realtime","action":"count","body":{"roomId":"`+sub.RoomID+`"}}`, nil)
	if (a.status != 404 || a.errorID() != "core.realtime.room_not_found") && string(a.env.Result) != `{"count":0}` {
		t.Fatalf("the room of an HTTP subscription must be gone with its connection: %d %s", a.status, a.raw)
	}
}

// TestHTTPSlowHeaders: a client that never finishes its headers is
// disconnected after the read timeout.
func TestHTTPSlowHeaders(t *testing.T) {
	srv := startServer(t, func(cfg *config.Config) { cfg.Server.MQTT.ConnectTimeout = 300 * time.Millisecond })
	conn, err := net.Dial("tcp", srv.node.HTTPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /_now HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	start := time.Now()
	_, err = io.ReadAll(conn)
	if err != nil || time.Since(start) >= wait {
		t.Fatalf("the server must close a connection whose headers never end: %v", err)
	}
}
