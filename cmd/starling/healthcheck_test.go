package main

import (
	"bytes"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/config"
)

// freePort returns a loopback TCP port nobody listens on.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// healthcheck runs `starling healthcheck args…` with env as its
// environment and returns its exit status and stderr.
func healthcheck(env []string, args ...string) (int, string) {
	var stderr bytes.Buffer
	code := runHealthcheck(args, config.Sources{Env: env}, &stderr)
	return code, stderr.String()
}

// TestHealthcheck checks the container health check against a real node:
// healthy while it runs (the URL taken from the same kuzzle_ variables as
// the server's), unhealthy once it stopped, and on an error status.
func TestHealthcheck(t *testing.T) {
	port := freePort(t)
	env := []string{"kuzzle_server__port=" + port, "kuzzle_server__protocols__mqtt__server__port=0",
		"kuzzle_server__protocols__mqtt__server__host=127.0.0.1"}
	p := start(t, env)
	p.address(t) // MQTT listens once the node has started

	// The HTTP door may open a moment after the MQTT log line: wait for it.
	deadline := time.Now().Add(wait)
	code, out := healthcheck(env)
	for code != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		code, out = healthcheck(env)
	}
	if code != 0 {
		t.Fatalf("healthcheck of a running node: status %d: %s", code, out)
	}
	if code, out := healthcheck(nil, "http://127.0.0.1:"+port+"/_healthcheck"); code != 0 {
		t.Fatalf("healthcheck with an explicit URL: status %d: %s", code, out)
	}
	// An unknown route answers an error status (412, as Kuzzle's router).
	if code, out := healthcheck(nil, "http://127.0.0.1:"+port+"/no/such/route"); code != 1 || !strings.Contains(out, "/no/such/route: 4") {
		t.Fatalf("healthcheck of an error status: status %d: %s", code, out)
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code, out := p.exitCode(t); code != 0 {
		t.Fatalf("exit status %d after SIGTERM:\n%s", code, out)
	}
	if code, out := healthcheck(env); code != 1 || !strings.Contains(out, "/_healthcheck") {
		t.Fatalf("healthcheck of a stopped node: status %d: %s", code, out)
	}
}

// TestHealthcheckURL checks the URL built from the configuration.
func TestHealthcheckURL(t *testing.T) {
	tests := []struct {
		server   config.Server
		url      string
		insecure bool
	}{
		{config.Server{Port: 7512}, "http://127.0.0.1:7512/_healthcheck", false},
		{config.Server{Host: "0.0.0.0", Port: 80}, "http://127.0.0.1:80/_healthcheck", false},
		{config.Server{Host: "::", Port: 80}, "http://127.0.0.1:80/_healthcheck", false},
		{config.Server{Host: "::1", Port: 80}, "http://[::1]:80/_healthcheck", false},
		{config.Server{Host: "10.1.2.3", Port: 443, TLS: config.TLS{Enabled: true}}, "https://10.1.2.3:443/_healthcheck", true},
	}
	for _, tt := range tests {
		url, insecure := healthcheckURL(tt.server)
		if url != tt.url || insecure != tt.insecure {
			t.Errorf("healthcheckURL(%+v) = %s, %v; want %s, %v", tt.server, url, insecure, tt.url, tt.insecure)
		}
	}
	if code, out := healthcheck(nil, "a", "b"); code != 2 || !strings.Contains(out, "usage") {
		t.Errorf("two arguments: status %d: %s", code, out)
	}
}
