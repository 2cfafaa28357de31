package node_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/starlingmq/starling/actors/node"
	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/jsonx"
)

// testServer is a running node on a free loopback port.
type testServer struct {
	node *node.Node
	addr string
}

// startServer starts a node with the default configuration on 127.0.0.1:0,
// changed by mutate, plus extra controllers; it is shut down with the test.
func startServer(t *testing.T, mutate func(*config.Config), controllers ...api.Controller) *testServer {
	t.Helper()
	cfg, err := config.Load(config.Sources{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Server.MQTT.Host = "127.0.0.1"
	cfg.Server.MQTT.Port = 0
	cfg.Server.Host, cfg.Server.Port = "127.0.0.1", 0
	cfg.Storage.Path = t.TempDir()
	if mutate != nil {
		mutate(cfg)
	}
	if testStoreOnPostgres() && cfg.Storage.Engine != "postgres" {
		// every server test on PostgreSQL: a database per storage.path
		cfg.Storage.Engine, cfg.Storage.Postgres.URL = "postgres", testStoreURL(t, cfg.Storage.Path)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	n, err := node.Start(node.Options{Config: cfg, Logger: log, Controllers: controllers})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := n.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return &testServer{node: n, addr: n.MQTTAddr().String()}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func TestServerNow(t *testing.T) {
	srv := startServer(t, nil)
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			c := v.connect(t, srv.addr)
			if code := c.subscribe("Kuzzle/response"); code != 0 {
				t.Fatalf("subscribe to the response topic: code %#x", code)
			}
			before := time.Now().UnixMilli()
			r := request(t, c, `{"controller":"server","action":"now","requestId":"now-1","volatile":{"sdk":"x"}}`)
			if r.Status != 200 || r.Error != nil || r.RequestID != "now-1" || *r.Controller != "server" || *r.Action != "now" {
				t.Fatalf("unexpected response %s", r.raw)
			}
			if r.Node != srv.node.ID() || string(r.Volatile) != `{"sdk":"x"}` || r.Headers == nil {
				t.Fatalf("node, volatile or headers wrong: %s", r.raw)
			}
			var result struct{ Now int64 }
			if err := jsonx.Unmarshal(r.Result, &result); err != nil || result.Now < before || result.Now > time.Now().UnixMilli() {
				t.Fatalf("result.now %d not a current timestamp: %s", result.Now, r.raw)
			}
		})
	}
}

func TestResponseWithoutSubscription(t *testing.T) {
	srv := startServer(t, nil)
	c := connect3(t, srv.addr)
	r := request(t, c, `{"controller":"server","action":"now"}`)
	if r.Status != 200 || len(r.RequestID) != 36 {
		t.Fatalf("a request without requestId gets a generated one: %s", r.raw)
	}
}

func TestServerActions(t *testing.T) {
	srv := startServer(t, nil)
	c := connect5(t, srv.addr)
	tests := []struct {
		action string
		check  func(result map[string]any) bool
	}{
		{"info", func(r map[string]any) bool {
			k := r["serverInfo"].(map[string]any)["kuzzle"].(map[string]any)
			routes := k["api"].(map[string]any)["routes"].(map[string]any)
			return k["version"] == "2.56.0" && routes["server"] != nil && strings.HasSuffix(k["uptime"].(string), "s")
		}},
		{"healthCheck", func(r map[string]any) bool { return r["status"] == "green" }},
		{"publicApi", func(r map[string]any) bool {
			now := r["server"].(map[string]any)["now"].(map[string]any)
			return now["action"] == "now" && now["controller"] == "server"
		}},
		{"metrics", func(r map[string]any) bool {
			conns := r["network"].(map[string]any)["connections"].(map[string]any)
			// The metrics request itself runs; the one before may not have been
			// counted out yet.
			running := r["api"].(map[string]any)["concurrentRequests"].(float64)
			return conns["mqtt"] == 1.0 && running >= 1 && running <= 2
		}},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			r := request(t, c, `{"controller":"server","action":"`+tt.action+`","requestId":"`+tt.action+`"}`)
			var result map[string]any
			if err := jsonx.Unmarshal(r.Result, &result); err != nil || r.Status != 200 || !tt.check(result) {
				t.Fatalf("unexpected %s response: %s", tt.action, r.raw)
			}
		})
	}
}

func TestErrorResponses(t *testing.T) {
	srv := startServer(t, func(c *config.Config) { c.Server.MaxRequestSize = 1024 })
	tests := []struct {
		name, payload string
		id            string
		code, status  int
		message       string
		requestID     string
	}{
		{"invalid JSON", `{"controller":`, "network.mqtt.unexpected_error", 50462721, 400, "Caught an unexpected MQTT error: ", ""},
		{"not an object", `[1]`, "network.mqtt.unexpected_error", 50462721, 400, "Caught an unexpected MQTT error: Input request data must be a non-null object", ""},
		{"controller not a string", `{"controller":1,"action":"now","requestId":"e1"}`, "network.mqtt.unexpected_error", 50462721, 400, `Caught an unexpected MQTT error: Attribute controller must be of type "string"`, "e1"},
		{"too large", `{"controller":"server","action":"now","pad":"` + strings.Repeat("x", 1100) + `"}`, "network.mqtt.unexpected_error", 50462721, 400, "Caught an unexpected MQTT error: request size exceeds server.maxRequestSize (1024 bytes)", ""},
		{"missing controller", `{"action":"now","requestId":"e2"}`, "api.assert.missing_argument", 33619971, 400, `Missing argument "controller".`, "e2"},
		{"missing action", `{"controller":"server","requestId":"e3"}`, "api.assert.missing_argument", 33619971, 400, `Missing argument "action".`, "e3"},
		{"unknown controller", `{"controller":"nope","action":"now","requestId":"e4"}`, "api.process.controller_not_found", 33685508, 404, `API controller "nope" not found.`, "e4"},
		{"unknown action", `{"controller":"server","action":"nope","requestId":"e5"}`, "api.process.action_not_found", 33685509, 404, `API action "server":"nope" not found`, "e5"},
	}
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			c := v.connect(t, srv.addr)
			for _, tt := range tests {
				r := request(t, c, tt.payload)
				e := r.Error
				if e == nil || e.ID != tt.id || e.Code != tt.code || e.Status != tt.status || r.Status != tt.status || !strings.HasPrefix(e.Message, tt.message) {
					t.Fatalf("%s: unexpected response %s", tt.name, r.raw)
				}
				if tt.requestID != "" && r.RequestID != tt.requestID {
					t.Fatalf("%s: requestId %q, want %q", tt.name, r.RequestID, tt.requestID)
				}
				if r.Result != nil && string(r.Result) != "null" {
					t.Fatalf("%s: an error response has a null result: %s", tt.name, r.raw)
				}
			}
			// The connection survives every error.
			if r := request(t, c, `{"controller":"server","action":"now"}`); r.Status != 200 {
				t.Fatalf("connection unusable after errors: %s", r.raw)
			}
		})
	}
}

func TestOversizedPacketCloses(t *testing.T) {
	srv := startServer(t, func(c *config.Config) { c.Server.MaxRequestSize = 1024 })
	c := connect3(t, srv.addr)
	_ = c.publish("Kuzzle/request", []byte(strings.Repeat("x", 200_000)), 0)
	expectLost(t, c)
}

// TestReadmeExample runs the README's mosquitto_rr example against a server.
func TestReadmeExample(t *testing.T) {
	path, err := exec.LookPath("mosquitto_rr")
	if err != nil {
		if os.Getenv("STARLING_REQUIRE_ALL") == "1" {
			t.Fatal("mosquitto_rr (Debian mosquitto-clients) is not installed")
		}
		t.Skip("mosquitto_rr not installed: apt-get install mosquitto-clients")
	}
	srv := startServer(t, nil)
	host, port, _ := net.SplitHostPort(srv.addr)
	for _, version := range []string{"mqttv311", "mqttv5"} {
		out, err := exec.Command(path, "-h", host, "-p", port, "-V", version, "-W", "10",
			"-t", "Kuzzle/request", "-e", "Kuzzle/response",
			"-m", `{"controller":"server","action":"now","requestId":"hello"}`).CombinedOutput()
		if err != nil || !strings.Contains(string(out), `"requestId":"hello"`) || !strings.Contains(string(out), `"status":200`) {
			t.Fatalf("mosquitto_rr %s: %v: %s", version, err, out)
		}
	}
}
