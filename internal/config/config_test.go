package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDefaults(t *testing.T) {
	cfg, err := Load(Sources{})
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.Server.MQTT
	if !m.Enabled || m.AllowPubSub || m.DevelopmentMode || m.RequestTopic != "Kuzzle/request" ||
		m.ResponseTopic != "Kuzzle/response" || m.Port != 1883 || m.DisconnectDelay != 250*time.Millisecond {
		t.Fatalf("unexpected MQTT defaults: %+v", m)
	}
	if cfg.Server.Logs.Format != "text" {
		t.Fatalf("server.logs.format = %q, want text", cfg.Server.Logs.Format)
	}
	if cfg.Server.MaxRequestSize != 1<<20 {
		t.Fatalf("maxRequestSize = %d, want 1MiB", cfg.Server.MaxRequestSize)
	}
	if cfg.Limits.ConcurrentRequests != 100 || cfg.Limits.RequestsBufferSize != 50000 || cfg.Limits.SubscriptionConditionsCount != 100 {
		t.Fatalf("unexpected limits: %+v", cfg.Limits)
	}
	if cfg.DevelopmentEnv || cfg.File != "" {
		t.Fatalf("unexpected env/file: %+v", cfg)
	}
}

func TestMQTTWebSocketKeys(t *testing.T) {
	cfg, err := Load(Sources{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.Server.MQTT.WebSocket, (MQTTWebSocket{Port: 8080, Path: "/mqtt"}); got != want {
		t.Fatalf("MQTT over WebSocket defaults = %+v, want %+v", got, want)
	}
	cfg, err = Load(Sources{Env: []string{
		"kuzzle_server__protocols__mqtt__websocket__enabled=true",
		"kuzzle_server__protocols__mqtt__websocket__host=127.0.0.1",
		"kuzzle_server__protocols__mqtt__websocket__port=0",
		"kuzzle_server__protocols__mqtt__websocket__path=/ws",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.Server.MQTT.WebSocket, (MQTTWebSocket{Enabled: true, Host: "127.0.0.1", Path: "/ws"}); got != want {
		t.Fatalf("MQTT over WebSocket keys = %+v, want %+v", got, want)
	}
}

func TestLogFormat(t *testing.T) {
	cfg, err := Load(Sources{Env: []string{"kuzzle_server__logs__format=json"}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Logs.Format != "json" {
		t.Fatalf("server.logs.format = %q, want json", cfg.Server.Logs.Format)
	}
}

func TestSubscriptionLimits(t *testing.T) {
	cfg, err := Load(Sources{})
	if err != nil {
		t.Fatal(err)
	}
	if l := cfg.Limits; l.SubscriptionMinterms != 256 || l.SubscriptionRooms != 1000000 || l.SubscriptionRoomsPerConnection != 1000 {
		t.Fatalf("unexpected subscription limits: %+v", l)
	}
	file := writeFile(t, t.TempDir(), "k.json", `{"limits": {"subscriptionMinterms": 0, "subscriptionRoomsPerConnection": 5}}`)
	cfg, err = Load(Sources{File: file})
	if err != nil {
		t.Fatal(err)
	}
	if l := cfg.Limits; l.SubscriptionMinterms != 0 || l.SubscriptionRoomsPerConnection != 5 {
		t.Fatalf("file values not read: %+v", l)
	}
	cfg, err = Load(Sources{File: file, Env: []string{"kuzzle_limits__subscriptionRoomsPerConnection=0"}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Limits.SubscriptionRoomsPerConnection != 0 {
		t.Fatalf("0 (no limit) not read from the environment: %+v", cfg.Limits)
	}
	for _, bad := range []string{"kuzzle_limits__subscriptionRoomsPerConnection=-1", "kuzzle_limits__subscriptionRoomsPerConnection=2.5",
		"kuzzle_limits__subscriptionRoomsPerConnection=many", "kuzzle_limits__subscriptionMinterms=-1"} {
		key := "limits." + strings.TrimPrefix(strings.Split(bad, "=")[0], "kuzzle_limits__")
		if _, err := Load(Sources{Env: []string{bad}}); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: want an error naming %s, got %v", bad, key, err)
		}
	}
}

func TestStats(t *testing.T) {
	cfg, err := Load(Sources{})
	if err != nil {
		t.Fatal(err)
	}
	if s := cfg.Stats; !s.Enabled || s.TTL != time.Hour || s.Interval != 10*time.Second {
		t.Fatalf("defaults: %+v", s)
	}
	cfg, err = Load(Sources{Env: []string{"kuzzle_stats__statsInterval=0.5", "kuzzle_stats__enabled=false"}})
	if err != nil {
		t.Fatal(err)
	}
	if s := cfg.Stats; s.Enabled || s.Interval != 500*time.Millisecond {
		t.Fatalf("environment: %+v", s)
	}
}

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "starling.json", `{
		"server": {"maxRequestSize": "2kb", "protocols": {"mqtt": {"allowPubSub": true, "requestTopic": "file/req", "disconnectDelay": 1000}}},
		"limits": {"concurrentRequests": 7}
	}`)
	env := []string{
		"kuzzle_server__protocols__mqtt__requestTopic=env/req",
		"KUZZLE_limits__requestsBufferSize=9000",
		"kuzzle_server__protocols__mqtt__developmentMode=true",
		"NODE_ENV=development",
		"unrelated=1",
	}
	cfg, err := Load(Sources{File: file, Env: env})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"env beats file", cfg.Server.MQTT.RequestTopic, "env/req"},
		{"file beats default", cfg.Server.MQTT.AllowPubSub, true},
		{"file size string", cfg.Server.MaxRequestSize, 2048},
		{"file number", cfg.Server.MQTT.DisconnectDelay, time.Second},
		{"file limit", cfg.Limits.ConcurrentRequests, 7},
		{"env typed number, prefix in any case", cfg.Limits.RequestsBufferSize, 9000},
		{"env typed boolean", cfg.Server.MQTT.DevelopmentMode, true},
		{"default kept", cfg.Server.MQTT.ResponseTopic, "Kuzzle/response"},
		{"NODE_ENV", cfg.DevelopmentEnv, true},
		{"file recorded", cfg.File, file},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestLookup(t *testing.T) {
	home, work, etc := t.TempDir(), t.TempDir(), t.TempDir()
	writeFile(t, etc, "kuzzlerc", `{"server": {"protocols": {"mqtt": {"requestTopic": "etc/req", "responseTopic": "etc/res"}}}}`)
	writeFile(t, home, ".kuzzlerc", `{"server": {"protocols": {"mqtt": {"requestTopic": "home/req"}}}}`)
	nearest := writeFile(t, work, ".kuzzlerc", `{"server": {"protocols": {"mqtt": {"server": {"port": 0}}}}}`)
	sub := filepath.Join(work, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(Sources{WorkDir: sub, HomeDir: home, EtcDir: etc})
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.Server.MQTT
	if m.RequestTopic != "home/req" || m.ResponseTopic != "etc/res" || m.Port != 0 || cfg.File != nearest {
		t.Fatalf("lookup merged wrongly: %+v, file %s", m, cfg.File)
	}
}

func TestJSONEnvValue(t *testing.T) {
	cfg, err := Load(Sources{Env: []string{`kuzzle_server__protocols__mqtt=*json:{"enabled":false,"allowPubSub":true}`}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.MQTT.Enabled || !cfg.Server.MQTT.AllowPubSub || cfg.Server.MQTT.RequestTopic != "Kuzzle/request" {
		t.Fatalf("*json: value not merged: %+v", cfg.Server.MQTT)
	}
}

func TestBadValuesNameTheKey(t *testing.T) {
	tests := []struct {
		name    string
		env     string
		file    string
		wantKey string
	}{
		{"string for boolean", "kuzzle_server__protocols__mqtt__allowPubSub=yes", "", "server.protocols.mqtt.allowPubSub"},
		{"negative delay", "kuzzle_server__protocols__mqtt__disconnectDelay=-5", "", "server.protocols.mqtt.disconnectDelay"},
		{"port out of range", "kuzzle_server__protocols__mqtt__server__port=70000", "", "server.protocols.mqtt.server.port"},
		{"fractional port", "kuzzle_server__protocols__mqtt__server__port=1.5", "", "server.protocols.mqtt.server.port"},
		{"bad size", "kuzzle_server__maxRequestSize=big", "", "server.maxRequestSize"},
		{"mqtt websocket port", "kuzzle_server__protocols__mqtt__websocket__port=-1", "", "server.protocols.mqtt.websocket.port"},
		{"mqtt websocket relative path", "kuzzle_server__protocols__mqtt__websocket__path=mqtt", "", "server.protocols.mqtt.websocket.path"},
		{"unknown log format", "kuzzle_server__logs__format=xml", "", `server.logs.format: invalid value "xml" (expected one of text, json)`},
		{"wildcard topic", "kuzzle_server__protocols__mqtt__requestTopic=a/#", "", "server.protocols.mqtt.requestTopic"},
		{"empty topic", "kuzzle_server__protocols__mqtt__responseTopic=", "", "server.protocols.mqtt.responseTopic"},
		{"bad json", "kuzzle_limits=*json:{", "", "limits"},
		{"zero concurrency", "kuzzle_limits__concurrentRequests=0", "", "limits.concurrentRequests"},
		{"zero stats interval", "kuzzle_stats__statsInterval=0", "", "stats.statsInterval"},
		{"string stats ttl", "", `{"stats": {"ttl": "1h"}}`, "stats.ttl"},
		{"number for topic in file", "", `{"server": {"protocols": {"mqtt": {"requestTopic": 5}}}}`, "server.protocols.mqtt.requestTopic"},
		{"file not JSON", "", `{oops`, "starling.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := Sources{}
			if tt.env != "" {
				src.Env = []string{tt.env}
			}
			if tt.file != "" {
				src.File = writeFile(t, t.TempDir(), "starling.json", tt.file)
			}
			_, err := Load(src)
			if err == nil || !strings.Contains(err.Error(), tt.wantKey) {
				t.Fatalf("got error %v, want one naming %s", err, tt.wantKey)
			}
		})
	}
}

func TestMissingConfigFile(t *testing.T) {
	if _, err := Load(Sources{File: filepath.Join(t.TempDir(), "absent.json")}); err == nil {
		t.Fatal("a missing --config file must stop loading")
	}
}

func TestWasmKeys(t *testing.T) {
	cfg, err := Load(Sources{})
	if err != nil {
		t.Fatal(err)
	}
	w := cfg.Wasm
	if w.Dir != "plugins/wasm" || w.DirSet || w.Limits.MemoryPages != 256 || w.Limits.CallTimeout != time.Second || w.WatchInterval != time.Second {
		t.Fatalf("unexpected defaults: %+v", w)
	}
	file := writeFile(t, t.TempDir(), "k.json", `{"plugins": {"wasm": {"dir": "/opt/wasm", "limits": {"callTimeout": 50},
		"modules": {"geo": {"memoryPages": 16, "dirs": ["/data:/data:ro"]}}}}}`)
	cfg, err = Load(Sources{File: file, Env: []string{"kuzzle_plugins__wasm__limits__poolSize=3"}})
	if err != nil {
		t.Fatal(err)
	}
	w = cfg.Wasm
	geo := w.Modules["geo"]
	if w.Dir != "/opt/wasm" || !w.DirSet || w.Limits.CallTimeout != 50*time.Millisecond || w.Limits.PoolSize != 3 ||
		geo.MemoryPages != 16 || geo.CallTimeout != 0 || len(geo.Dirs) != 1 || geo.Dirs[0] != "/data:/data:ro" {
		t.Fatalf("unexpected wasm configuration: %+v", w)
	}
	for _, bad := range []string{
		"kuzzle_plugins__wasm__limits__memoryPages=70000",
		"kuzzle_plugins__wasm__limits__callTimeout=0",
		`kuzzle_plugins__wasm__modules=*json:{"geo":{"dirs":[1]}}`,
	} {
		if _, err := Load(Sources{Env: []string{bad}}); err == nil || !strings.Contains(err.Error(), "plugins.wasm.") {
			t.Errorf("%s: want an error naming the key, got %v", bad, err)
		}
	}
}

func TestSecurityKeys(t *testing.T) {
	cfg, err := Load(Sources{})
	if err != nil {
		t.Fatal(err)
	}
	if a := cfg.Security.AuthToken; a.Algorithm != "HS256" || a.ExpiresIn != time.Hour || a.GracePeriod != time.Second || a.MaxTTL != -1 || a.Secret != "" || cfg.Security.APIKeyMaxTTL != -1 {
		t.Fatalf("defaults: %+v, apiKey.maxTTL %v", a, cfg.Security.APIKeyMaxTTL)
	}
	cfg, err = Load(Sources{Env: []string{`kuzzle_security__authToken=*json:{"algorithm":"HS512","expiresIn":"2h","maxTTL":"1d","secret":"s3cr3t"}`}})
	if err != nil {
		t.Fatal(err)
	}
	if a := cfg.Security.AuthToken; a.Algorithm != "HS512" || a.ExpiresIn != 2*time.Hour || a.MaxTTL != 24*time.Hour || a.Secret != "s3cr3t" || a.GracePeriod != time.Second {
		t.Fatalf("from the environment: %+v", a)
	}
	if _, err := Load(Sources{Env: []string{`kuzzle_security__authToken__algorithm=RS256`}}); err == nil || !strings.Contains(err.Error(), "security.authToken.algorithm") {
		t.Fatalf("an algorithm needing a key pair: %v", err)
	}
}

func TestSecurityStandardAndPolicies(t *testing.T) {
	cfg, err := Load(Sources{Env: []string{
		`kuzzle_security__standard=*json:{"roles":{"anonymous":{"controllers":{"auth":{"actions":{"login":true}}}}}}`,
		`kuzzle_plugins__kuzzle-plugin-auth-passport-local=*json:{"passwordPolicies":[{"appliesTo":"*","expiresAfter":"30d","passwordRegex":".{8,}"},{"appliesTo":{"profiles":["admin"]},"forbidReusedPasswordCount":3}]}`,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if string(cfg.Security.Standard.Roles["anonymous"]) != `{"controllers":{"auth":{"actions":{"login":true}}}}` {
		t.Fatalf("security.standard: %+v", cfg.Security.Standard)
	}
	p := cfg.Security.Local.PasswordPolicies
	if len(p) != 2 || !p[0].AppliesToAll || p[0].ExpiresAfter != 30*24*time.Hour || p[0].PasswordRegex != ".{8,}" ||
		p[1].AppliesToAll || len(p[1].AppliesToProfiles) != 1 || p[1].ForbidReusedPasswordCount != 3 {
		t.Fatalf("passwordPolicies: %+v", p)
	}
	if _, err := Load(Sources{Env: []string{`kuzzle_plugins__kuzzle-plugin-auth-passport-local=*json:{"passwordPolicies":[{"appliesTo":"someone"}]}`}}); err == nil {
		t.Fatal("an appliesTo neither \"*\" nor an object was accepted")
	}
}

func TestWasmStateKeys(t *testing.T) {
	cfg, err := Load(Sources{})
	if err != nil {
		t.Fatal(err)
	}
	if l := cfg.Wasm.Limits; l.StateQuota != 16<<20 || l.StateValueSize != 64<<10 {
		t.Fatalf("state defaults: %+v", l)
	}
	file := writeFile(t, t.TempDir(), "k.json", `{"plugins": {"wasm": {"modules": {"shop": {"stateQuota": 1000, "stateValueSize": 100}, "other": {}}}}}`)
	cfg, err = Load(Sources{File: file})
	if err != nil {
		t.Fatal(err)
	}
	if shop, other := cfg.Wasm.Modules["shop"], cfg.Wasm.Modules["other"]; shop.StateQuota != 1000 || shop.StateValueSize != 100 ||
		other.StateQuota != 0 || other.StateValueSize != 0 {
		t.Fatalf("module state keys: %+v %+v", shop, other)
	}
	for _, bad := range []string{
		"kuzzle_plugins__wasm__limits__stateQuota=0",
		"kuzzle_plugins__wasm__limits__stateValueSize=19",
		`kuzzle_plugins__wasm__modules=*json:{"shop":{"stateQuota":"big"}}`,
	} {
		if _, err := Load(Sources{Env: []string{bad}}); err == nil || !strings.Contains(err.Error(), "plugins.wasm.") {
			t.Errorf("%s: want an error naming the key, got %v", bad, err)
		}
	}
}
