package wasmhost

import (
	"context"
	"strings"
	"testing"
)

func TestActionPatterns(t *testing.T) {
	a := newAccess("m", Settings{AllowedActions: []string{"document:*", "realtime:pub*", "*:now", "geo-*/geo:check"}})
	for _, tt := range []struct {
		controller, action string
		want               bool
	}{
		{"document", "create", true},
		{"document", "", true},
		{"documents", "create", false},
		{"realtime", "publish", true},
		{"realtime", "subscribe", false},
		{"server", "now", true},
		{"server", "nowhere", false},
		{"geo-c/geo", "check", true},
		{"geo-c/other", "check", false},
		{"security", "createUser", false},
	} {
		if got := a.allowsAction(tt.controller, tt.action); got != tt.want {
			t.Errorf("%s:%s allowed %v, want %v", tt.controller, tt.action, got, tt.want)
		}
	}
	if !newAccess("m", Settings{}).allowsAction("security", "createUser") {
		t.Error("unset allowedActions must allow every action")
	}
	if newAccess("m", Settings{AllowedActions: []string{}}).allowsAction("server", "now") {
		t.Error("an empty allowedActions must allow no action")
	}
}

func TestHostPatterns(t *testing.T) {
	a := newAccess("m", Settings{AllowedHosts: []string{"api.example.com", "*.example.org", "127.0.0.1:8080", "[::1]:9000"}})
	for _, tt := range []struct {
		host, port string
		want       bool
	}{
		{"api.example.com", "443", true},
		{"API.Example.com.", "80", true},
		{"api.example.com", "8443", false},
		{"example.com", "443", false},
		{"a.example.org", "443", true},
		{"a.b.example.org", "80", true},
		{"example.org", "443", false},
		{"evilexample.org", "443", false},
		{"127.0.0.1", "8080", true},
		{"127.0.0.1", "80", false},
		{"::1", "9000", true},
		{"::1", "9001", false},
	} {
		if got := a.allowsHost(tt.host, tt.port); got != tt.want {
			t.Errorf("%s:%s allowed %v, want %v", tt.host, tt.port, got, tt.want)
		}
	}
	if newAccess("m", Settings{}).allowsHost("localhost", "80") {
		t.Error("no allowedHosts must allow no host")
	}
}

// TestBadSettings: New and Reconfigure refuse settings out of syntax,
// naming the module and the key.
func TestBadSettings(t *testing.T) {
	for _, tt := range []struct {
		s    Settings
		want string
	}{
		{Settings{AllowedActions: []string{"document"}}, `allowedActions: "document" is not controller:action`},
		{Settings{AllowedActions: []string{"document:"}}, `allowedActions: "document:" is not controller:action`},
		{Settings{AllowedActions: []string{"a:b:c"}}, `allowedActions: "a:b:c" is not controller:action`},
		{Settings{AllowedActions: []string{"doc ument:get"}}, `allowedActions: "doc ument:get" is not controller:action`},
		{Settings{AllowedHosts: []string{"http://example.com"}}, `allowedHosts: "http://example.com" is not host, *.domain or host:port`},
		{Settings{AllowedHosts: []string{"example.com:0"}}, `allowedHosts: "example.com:0"`},
		{Settings{AllowedHosts: []string{"*."}}, `allowedHosts: "*."`},
		{Settings{AllowedHosts: []string{"a.*.com"}}, `allowedHosts: "a.*.com"`},
		{Settings{SHA256: "abc"}, `sha256: "abc" is not 64 hexadecimal digits`},
		{Settings{Config: []byte("{")}, `config: not JSON`},
	} {
		cfg := Config{CacheDir: "-", Settings: map[string]Settings{"shop": tt.s}}
		_, err := New(context.Background(), Options{Config: cfg})
		if err == nil || !strings.Contains(err.Error(), "module shop: "+tt.want) {
			t.Errorf("%+v: %v, want %q", tt.s, err, tt.want)
		}
	}
	h, err := New(context.Background(), Options{Config: Config{CacheDir: "-"}})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(context.Background())
	bad := Config{Settings: map[string]Settings{"shop": {SHA256: "x"}}}
	if _, err := h.Reconfigure(bad); err == nil || !strings.Contains(err.Error(), "module shop: sha256") {
		t.Fatalf("Reconfigure: %v", err)
	}
	if len(h.Config().Settings) != 0 {
		t.Fatal("a refused configuration was applied")
	}
}
