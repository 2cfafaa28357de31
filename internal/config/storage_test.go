package config

import (
	"strings"
	"testing"
)

func TestStorageEngineKeys(t *testing.T) {
	cfg, err := Load(Sources{})
	if err != nil {
		t.Fatal(err)
	}
	if s := cfg.Storage; s.Engine != "sqlite" || s.Postgres.URL != "" || s.Postgres.PoolSize != 10 {
		t.Fatalf("defaults: %+v", s)
	}
	url := "postgres://u:p@db.example:5432/starling?sslmode=disable"
	cfg, err = Load(Sources{Env: []string{
		"kuzzle_storage__engine=postgres",
		"kuzzle_storage__postgres__url=" + url,
		"kuzzle_storage__postgres__poolSize=4",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if s := cfg.Storage; s.Engine != "postgres" || s.Postgres.URL != url || s.Postgres.PoolSize != 4 {
		t.Fatalf("postgres: %+v", s)
	}
	for _, tc := range []struct{ env, key string }{
		{"kuzzle_storage__engine=mysql", "storage.engine"},
		{"kuzzle_storage__engine=postgres", "storage.postgres.url"},
		{"kuzzle_storage__postgres__poolSize=0", "storage.postgres.poolSize"},
	} {
		if _, err := Load(Sources{Env: []string{tc.env}}); err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s: want an error naming %s, got %v", tc.env, tc.key, err)
		}
	}
	// A URL of the wrong type is refused without being quoted.
	_, err = Load(Sources{Env: []string{`kuzzle_storage__postgres=*json:{"url":{"secret":"p4ss"}}`}})
	if err == nil || !strings.Contains(err.Error(), "storage.postgres.url") || strings.Contains(err.Error(), "p4ss") {
		t.Errorf("url of another type: %v", err)
	}
}
