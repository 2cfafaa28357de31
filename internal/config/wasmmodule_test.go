package config

import (
	"strings"
	"testing"
)

func TestWasmModuleSettings(t *testing.T) {
	file := writeFile(t, t.TempDir(), "k.json", `{"plugins": {"wasm": {"modules": {
		"shop": {"config": {"maxPrice": 100, "tags": ["a"]}, "allowedActions": ["document:*", "realtime:publish"],
		         "allowedHosts": ["api.example.com", "*.example.org", "127.0.0.1:8080"],
		         "sha256": "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08", "callTimeout": 20},
		"none": {"allowedActions": []},
		"bare": {"poolSize": 2}}}}}`)
	cfg, err := Load(Sources{File: file})
	if err != nil {
		t.Fatal(err)
	}
	shop := cfg.Wasm.ModuleSettings["shop"]
	if string(shop.Config) != `{"maxPrice":100,"tags":["a"]}` ||
		strings.Join(shop.AllowedActions, " ") != "document:* realtime:publish" ||
		strings.Join(shop.AllowedHosts, " ") != "api.example.com *.example.org 127.0.0.1:8080" ||
		shop.SHA256 != "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08" ||
		cfg.Wasm.Modules["shop"].CallTimeout.Milliseconds() != 20 {
		t.Fatalf("shop: %+v %+v", shop, cfg.Wasm.Modules["shop"])
	}
	if none := cfg.Wasm.ModuleSettings["none"]; none.AllowedActions == nil || len(none.AllowedActions) != 0 {
		t.Fatalf("an empty allowedActions must stay set (no action allowed): %#v", none.AllowedActions)
	}
	if bare := cfg.Wasm.ModuleSettings["bare"]; bare.Config != nil || bare.AllowedActions != nil || bare.AllowedHosts != nil || bare.SHA256 != "" {
		t.Fatalf("bare: %+v", bare)
	}
	for _, tt := range []struct{ module, key string }{
		{`{"allowedActions": "document:*"}`, "plugins.wasm.modules.m.allowedActions"},
		{`{"allowedActions": [""]}`, "plugins.wasm.modules.m.allowedActions"},
		{`{"allowedHosts": [1]}`, "plugins.wasm.modules.m.allowedHosts"},
		{`{"sha256": "abc"}`, "plugins.wasm.modules.m.sha256"},
		{`{"sha256": "` + strings.Repeat("g", 64) + `"}`, "plugins.wasm.modules.m.sha256"},
	} {
		file := writeFile(t, t.TempDir(), "k.json", `{"plugins": {"wasm": {"modules": {"m": `+tt.module+`}}}}`)
		if _, err := Load(Sources{File: file}); err == nil || !strings.Contains(err.Error(), "configuration key "+tt.key) {
			t.Errorf("%s: %v, want an error naming %s", tt.module, err, tt.key)
		}
	}
}
