package wasmhost_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/wasmhost"
)

// buildABI3 compiles testdata/abi3.c with the C SDK reporting ABI 3, with
// extra compiler flags (-DTICK=N).
func buildABI3(t testing.TB, flags ...string) string {
	clang := need(t, "clang-14")
	return build(t, "abi3:"+strings.Join(flags, ","), func(out string) *exec.Cmd {
		args := []string{"--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-mexec-model=reactor",
			"-Wall", "-DSTARLING_ABI_VERSION=3", "-I", filepath.Join(root, "guests/c"), "-o", out,
			filepath.Join(root, "guests/c/starling.c"), "testdata/abi3.c"}
		return exec.Command(clang, append(args, flags...)...)
	})
}

// settings returns a host configuration with the given module settings.
func settings(s map[string]wasmhost.Settings) wasmhost.Config {
	return wasmhost.Config{Settings: s}
}

// result decodes a response's result, failing the test on an error.
func result(t *testing.T, r response) string {
	t.Helper()
	if r.Status != 200 {
		t.Fatalf("status %d: %s", r.Status, r.raw)
	}
	return string(r.Result)
}

// compact re-encodes JSON without spaces, keys sorted.
func compact(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := jsonx.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	out, err := jsonx.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestABI3ConfigReadAndReloaded(t *testing.T) {
	wasm := buildABI3(t)
	s := startServerConfig(t, settings(map[string]wasmhost.Settings{
		"shop": {Config: jsonx.RawMessage(`{"maxPrice":100,"name":"shop"}`)},
	}), map[string]string{"shop": wasm, "plain": wasm})
	cl := connect(t, s.addr)
	if got := result(t, cl.call(t, `{"controller":"shop/abi3","action":"config"}`)); compact(t, got) != `{"maxPrice":100,"name":"shop"}` {
		t.Fatalf("config: %s", got)
	}
	if got := result(t, cl.call(t, `{"controller":"shop/abi3","action":"init"}`)); compact(t, got) != `{"call":null,"input":{"config":{"maxPrice":100,"name":"shop"}}}` {
		t.Fatalf("init saw %s", got)
	}
	if got := result(t, cl.call(t, `{"controller":"plain/abi3","action":"config"}`)); got != "null" {
		t.Fatalf("config of a module without one: %s", got)
	}
	if got := result(t, cl.call(t, `{"controller":"plain/abi3","action":"init"}`)); compact(t, got) != `{"call":null,"input":{"config":null}}` {
		t.Fatalf("init of a module without config saw %s", got)
	}

	plain := s.host.Module("plain")
	cfg := s.host.Config()
	cfg.Settings = map[string]wasmhost.Settings{"shop": {Config: jsonx.RawMessage(`{"maxPrice":200}`)}}
	changed, err := s.host.Reconfigure(cfg)
	if err != nil || len(changed) != 1 || changed[0] != "shop" {
		t.Fatalf("Reconfigure: %v, %v; want [shop]", changed, err)
	}
	expectRegistered(t, s, "shop/abi3")
	if got := result(t, cl.call(t, `{"controller":"shop/abi3","action":"config"}`)); got != `{"maxPrice":200}` {
		t.Fatalf("config after the reload: %s", got)
	}
	if got := result(t, cl.call(t, `{"controller":"shop/abi3","action":"init"}`)); compact(t, got) != `{"call":null,"input":{"config":{"maxPrice":200}}}` {
		t.Fatalf("init after the reload saw %s", got)
	}
	if s.host.Module("plain") != plain {
		t.Fatal("a module whose settings did not change was reloaded")
	}
	if changed, err := s.host.Reconfigure(cfg); err != nil || len(changed) != 0 {
		t.Fatalf("the same configuration again: %v, %v; want nothing changed", changed, err)
	}
}

func TestABI3AllowedActions(t *testing.T) {
	wasm := buildABI3(t)
	s := startServerConfig(t, settings(map[string]wasmhost.Settings{
		"scoped": {AllowedActions: []string{"realtime:pub*", "server:now"}},
		"none":   {AllowedActions: []string{}},
	}), map[string]string{"scoped": wasm, "none": wasm, "free": wasm})
	cl := connect(t, s.addr)
	publish := `{"controller":"realtime","action":"publish","index":"i","collection":"c","body":{"x":1}}`
	tests := []struct {
		module, call, refusal string
	}{
		{"scoped", publish, ""},
		{"scoped", `{"controller":"server","action":"now"}`, ""},
		{"scoped", `{"controller":"server","action":"info"}`, "action server:info not allowed for module scoped"},
		{"scoped", `{"controller":"realtime","action":"subscribe","index":"i","collection":"c","body":{}}`,
			"action realtime:subscribe not allowed for module scoped"},
		// The last of duplicate keys is the one the API reads, and the one checked.
		{"scoped", `{"controller":"realtime","controller":"security","action":"publish"}`,
			"action security:publish not allowed for module scoped"},
		{"none", publish, "action realtime:publish not allowed for module none"},
		{"free", `{"controller":"server","action":"now"}`, ""},
	}
	for _, tt := range tests {
		r := cl.call(t, `{"controller":"`+tt.module+`/abi3","action":"call","body":`+tt.call+`}`)
		var inner response
		if err := jsonx.Unmarshal(r.Result, &inner); err != nil {
			t.Fatalf("%s %s: %s", tt.module, tt.call, r.raw)
		}
		if tt.refusal == "" {
			if inner.Status != 200 {
				t.Errorf("%s %s: refused: %s", tt.module, tt.call, r.Result)
			}
			continue
		}
		if inner.Status != 500 || inner.Error == nil || inner.Error.ID != "plugin.runtime.unexpected_error" ||
			inner.Error.Message != "Caught an unexpected plugin error: "+tt.refusal {
			t.Errorf("%s %s: got %s, want plugin.runtime.unexpected_error %q", tt.module, tt.call, r.Result, tt.refusal)
		}
	}
	// Only the one allowed publish ran.
	if n := len(s.published); n != 1 {
		t.Fatalf("%d publications, want 1", n)
	}
}

func TestABI3Sha256Pin(t *testing.T) {
	wasm := buildABI3(t)
	code, err := os.ReadFile(wasm)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256Hex(code)
	wrong := strings.Repeat("ab", 32)
	h := newHost(t, settings(map[string]wasmhost.Settings{
		"pinned": {SHA256: strings.ToUpper(sum)},
		"wrong":  {SHA256: wrong},
	}), nil)
	dir := t.TempDir()
	if _, err := h.Load(context.Background(), install(t, dir, "pinned", wasm)); err != nil {
		t.Fatalf("matching digest: %v", err)
	}
	_, err = h.Load(context.Background(), install(t, dir, "wrong", wasm))
	if err == nil || !strings.Contains(err.Error(), "sha256 is "+sum) || !strings.Contains(err.Error(), "pins "+wrong) {
		t.Fatalf("mismatch: %v; want both digests", err)
	}
	if h.Module("wrong") != nil {
		t.Fatal("a module with another digest is loaded")
	}
}

func TestABI3InitFailureKeepsTheModuleOut(t *testing.T) {
	wasm := buildABI3(t)
	h := newHost(t, wasmhost.Config{Limits: wasmhost.Limits{CallTimeout: 200 * time.Millisecond}, Settings: map[string]wasmhost.Settings{
		"fails": {Config: jsonx.RawMessage(`{"failInit":true}`)},
		"traps": {Config: jsonx.RawMessage(`{"trapInit":true}`)},
		"loops": {Config: jsonx.RawMessage(`{"loopInit":true}`)},
	}}, nil)
	dir := t.TempDir()
	for name, want := range map[string]string{
		"fails": "starling_init: init refused by the guest",
		"traps": "starling_init: wasm error: unreachable",
		"loops": "starling_init: the guest did not return within 200ms",
	} {
		_, err := h.Load(context.Background(), install(t, dir, name, wasm))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", name, err, want)
		}
		if h.Module(name) != nil {
			t.Errorf("%s is loaded", name)
		}
	}

	// A new version whose init fails leaves the previous one serving.
	path := install(t, dir, "replaced", wasm)
	old, err := h.Load(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := h.Config()
	cfg.Settings = map[string]wasmhost.Settings{"replaced": {Config: jsonx.RawMessage(`{"failInit":true}`)}}
	if _, err := h.Reconfigure(cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Load(context.Background(), path); err == nil {
		t.Fatal("a version whose init fails loaded")
	}
	if h.Module("replaced") != old {
		t.Fatal("the previous version is no longer current")
	}
	res, kerr := old.Handle(context.Background(), request(t, `{"controller":"replaced/abi3","action":"config"}`))
	if kerr != nil || string(res) != "null" {
		t.Fatalf("the previous version answers %s, %v", res, kerr)
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestCallOfAnAnonymousRequestStaysAnonymous: a guest serving a request
// without a token cannot call the API with a jwt of its own.
func TestCallOfAnAnonymousRequestStaysAnonymous(t *testing.T) {
	s := startServer(t, wasmhost.Limits{}, map[string]string{"faults": buildC(t, "testdata/faults.c")})
	cl := connect(t, s.addr)
	r := cl.call(t, `{"controller":"faults/faults","action":"call","body":{"controller":"realtime","action":"publish","index":"i","collection":"c","body":{"x":2},"jwt":"forged"}}`)
	if r.Status != 200 || !strings.Contains(string(r.Result), `"result":{"published":true}`) {
		t.Fatalf("call: %s", r.raw)
	}
	select {
	case p := <-s.published:
		if p.jwt != "" {
			t.Fatalf("the guest's call ran with jwt %q", p.jwt)
		}
	case <-time.After(wait):
		t.Fatal("nothing published")
	}
}
