package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary kuzzlerc files and environment values to Load:
// it never panics, and either fails with an error or yields a usable
// configuration.
func FuzzLoad(f *testing.F) {
	f.Add(`{"server":{"protocols":{"mqtt":{"allowPubSub":"true","server":{"port":"0"}}}}}`, "kuzzle_limits__concurrentRequests=5")
	f.Add(`{"limits":5}`, `kuzzle_server=*json:[1]`)
	f.Add(`{"plugins":{"wasm":{"modules":{"a":{"dirs":"x"}}}}}`, "kuzzle_plugins__wasm__limits__memoryPages=1e9")
	f.Add(`[]`, "kuzzle___=1")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, file, env string) {
		path := filepath.Join(dir, "kuzzlerc")
		if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(Sources{File: path, Env: []string{env}})
		if err != nil {
			return
		}
		if cfg.Server.MQTT.RequestTopic == "" || cfg.Limits.ConcurrentRequests < 1 || cfg.Server.MaxRequestSize < 0 {
			t.Fatalf("unusable configuration accepted: %+v", cfg)
		}
	})
}
