package config

import (
	"strings"
	"testing"
)

func TestTLSKeys(t *testing.T) {
	cfg, err := Load(Sources{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.TLS != (TLS{}) || cfg.Server.MQTT.TLS != (TLS{}) {
		t.Fatalf("TLS must be off by default: %+v %+v", cfg.Server.TLS, cfg.Server.MQTT.TLS)
	}
	cfg, err = Load(Sources{
		File: writeFile(t, t.TempDir(), "kuzzlerc", `{"server": {"tls": {"enabled": true, "cert": "/c.pem", "key": "/k.pem"},
			"protocols": {"mqtt": {"tls": {"enabled": true, "cert": "/mc.pem", "key": "/mk.pem"}}}}}`),
		Env: []string{"kuzzle_server__protocols__mqtt__tls__clientCA=/ca.pem"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := (TLS{Enabled: true, Cert: "/c.pem", Key: "/k.pem"}); cfg.Server.TLS != want {
		t.Fatalf("server.tls = %+v, want %+v", cfg.Server.TLS, want)
	}
	if want := (TLS{Enabled: true, Cert: "/mc.pem", Key: "/mk.pem", ClientCA: "/ca.pem"}); cfg.Server.MQTT.TLS != want {
		t.Fatalf("server.protocols.mqtt.tls = %+v, want %+v", cfg.Server.MQTT.TLS, want)
	}
}

func TestTLSBadValuesNameTheKey(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		wantKey string
	}{
		{"enabled not boolean", []string{"kuzzle_server__tls__enabled=yes"}, "server.tls.enabled"},
		{"no certificate", []string{"kuzzle_server__tls__enabled=true", "kuzzle_server__tls__key=/k.pem"}, "server.tls.cert"},
		{"no key", []string{"kuzzle_server__protocols__mqtt__tls__enabled=true", "kuzzle_server__protocols__mqtt__tls__cert=/c.pem"},
			"server.protocols.mqtt.tls.key"},
		{"certificate not a string", []string{"kuzzle_server__protocols__mqtt__tls__cert=5"}, "server.protocols.mqtt.tls.cert"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(Sources{Env: tt.env})
			if err == nil || !strings.Contains(err.Error(), tt.wantKey) {
				t.Fatalf("got error %v, want one naming %s", err, tt.wantKey)
			}
		})
	}
}
