package config

import (
	"strings"
	"testing"
	"time"
)

func TestPluginsCommonKeys(t *testing.T) {
	cfg, err := Load(Sources{})
	if err != nil {
		t.Fatal(err)
	}
	want := PluginsCommon{PipeWarnTime: 500 * time.Millisecond, PipeTimeout: 5 * time.Second,
		MaxConcurrentPipes: 50, PipesBufferSize: 50000, HookQueue: 1024}
	if cfg.PluginsCommon != want {
		t.Fatalf("defaults %+v, want %+v", cfg.PluginsCommon, want)
	}
	file := writeFile(t, t.TempDir(), "k.json", `{"plugins": {"common": {"pipeTimeout": 250, "pipeWarnTime": 0,
		"failsafeMode": false, "include": ["kuzzle-plugin-auth-passport-local"]}}}`)
	cfg, err = Load(Sources{File: file, Env: []string{"kuzzle_plugins__common__hookQueue=8", "kuzzle_plugins__common__maxConcurrentPipes=2"}})
	if err != nil {
		t.Fatal(err)
	}
	want = PluginsCommon{PipeTimeout: 250 * time.Millisecond, MaxConcurrentPipes: 2, PipesBufferSize: 50000, HookQueue: 8}
	if cfg.PluginsCommon != want {
		t.Fatalf("configured %+v, want %+v", cfg.PluginsCommon, want)
	}
	for _, bad := range []string{
		"kuzzle_plugins__common__pipeTimeout=0",
		"kuzzle_plugins__common__maxConcurrentPipes=0",
		"kuzzle_plugins__common__hookQueue=-1",
		"kuzzle_plugins__common__pipesBufferSize=1.5",
	} {
		if _, err := Load(Sources{Env: []string{bad}}); err == nil || !strings.Contains(err.Error(), "plugins.common.") {
			t.Errorf("%s: want an error naming the key, got %v", bad, err)
		}
	}
}
