package wasmhost_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/wasmhost"
)

// wait bounds every wait of these tests.
const wait = 20 * time.Second

// testLogger logs to the test when -v, nowhere otherwise.
func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// newHost starts a host whose compilation cache lives beside the test
// process's builds; it is closed with the test.
func newHost(t testing.TB, cfg wasmhost.Config, caller wasmhost.Caller) *wasmhost.Host {
	t.Helper()
	if cfg.CacheDir == "" {
		cfg.CacheDir = filepath.Join(buildDir, "cache")
	}
	h, err := wasmhost.New(context.Background(), wasmhost.Options{Config: cfg, Logger: testLogger(t), Caller: caller})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.Close(context.Background()); err != nil {
			t.Errorf("close host: %v", err)
		}
	})
	return h
}

// load copies a built module to dir/name.wasm and loads it.
func load(t testing.TB, h *wasmhost.Host, name, wasm string) *wasmhost.Module {
	t.Helper()
	m, err := h.Load(context.Background(), install(t, t.TempDir(), name, wasm))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// install copies a built module into dir as name.wasm, atomically.
func install(t testing.TB, dir, name, wasm string) string {
	t.Helper()
	code, err := os.ReadFile(wasm)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, name+".wasm")
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, code, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

// request parses a request payload as client "c1" would send it.
func request(t testing.TB, payload string) *api.Request {
	t.Helper()
	req, err := api.Parse([]byte(payload), api.Connection{ID: "c1", Protocol: "mqtt"})
	if err != nil {
		t.Fatalf("parse %s: %v", payload, err)
	}
	return req
}

func faultsModule(t testing.TB, h *wasmhost.Host) *wasmhost.Module {
	return load(t, h, "faults", buildC(t, "testdata/faults.c"))
}

func TestFaults(t *testing.T) {
	h := newHost(t, wasmhost.Config{Limits: wasmhost.Limits{
		MemoryPages: 64, CallTimeout: 300 * time.Millisecond, PoolSize: 2, MaxResultSize: 64 << 10,
	}}, nil)
	m := faultsModule(t, h)
	tests := []struct {
		action, id, message string
	}{
		{"loop", "core.sandbox.timeout", "Timeout. The sandbox did not respond within 300ms."},
		{"bomb", "plugin.runtime.unexpected_error", "of the 64 pages allowed (4 MiB) in use (wasm error: unreachable)"},
		{"trap", "plugin.runtime.unexpected_error", `module "faults": wasm error: unreachable`},
		{"badjson", "plugin.runtime.unexpected_error", `module "faults": the guest returned invalid JSON: "{\"oops"`},
		{"huge", "plugin.runtime.unexpected_error", `module "faults": result of 100002 bytes exceeds the limit of 65536 bytes`},
		{"fail", "plugin.runtime.unexpected_error", "Caught an unexpected plugin error: the guest says no"},
		{"kerror", "api.assert.missing_argument", `Missing argument "lat".`},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			res, kerr := m.Handle(context.Background(), request(t, `{"controller":"faults/faults","action":"`+tt.action+`"}`))
			if kerr == nil || kerr.ID != tt.id || !strings.Contains(kerr.Message, tt.message) {
				t.Fatalf("got %s / %v, want %s containing %q", res, kerr, tt.id, tt.message)
			}
			// The module goes on.
			if res, kerr := m.Handle(context.Background(), request(t, `{"action":"empty"}`)); kerr != nil || string(res) != "null" {
				t.Fatalf("after %s: %s / %v", tt.action, res, kerr)
			}
		})
	}
}

// TestOthersFlowDuringLoop checks that a looping guest holds one instance
// only: the other requests keep being answered until it is stopped.
func TestOthersFlowDuringLoop(t *testing.T) {
	h := newHost(t, wasmhost.Config{Limits: wasmhost.Limits{CallTimeout: 2 * time.Second, PoolSize: 2}}, nil)
	m := faultsModule(t, h)
	looped := make(chan *kerror.Error, 1)
	go func() {
		_, kerr := m.Handle(context.Background(), request(t, `{"action":"loop"}`))
		looped <- kerr
	}()
	for i := 0; i < 200; i++ {
		res, kerr := m.Handle(context.Background(), request(t, `{"action":"echo","n":1}`))
		if kerr != nil || !strings.Contains(string(res), `"n":1`) {
			t.Fatalf("echo %d: %s / %v", i, res, kerr)
		}
	}
	select {
	case kerr := <-looped:
		t.Fatalf("the loop ended before the echoes: %v", kerr)
	default:
	}
	select {
	case kerr := <-looped:
		if kerr == nil || kerr.ID != "core.sandbox.timeout" {
			t.Fatalf("loop: %v", kerr)
		}
	case <-time.After(wait):
		t.Fatal("the looping guest was never stopped")
	}
}

func TestParallelCalls(t *testing.T) {
	h := newHost(t, wasmhost.Config{Limits: wasmhost.Limits{PoolSize: 4}}, nil)
	m := faultsModule(t, h)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if _, kerr := m.Handle(context.Background(), request(t, `{"action":"echo"}`)); kerr != nil {
					t.Error(kerr)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestLoadErrors(t *testing.T) {
	h := newHost(t, wasmhost.Config{}, nil)
	tests := []struct {
		name, src, want string
	}{
		{"nohandle", "testdata/nohandle.c", "needs a controller name and the starling_handle export"},
		{"noalloc", "testdata/noalloc.c", "missing export starling_alloc"},
		{"badversion", "testdata/badversion.c", "guest ABI version 99, this host speaks 1 to 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := install(t, t.TempDir(), tt.name, buildRawC(t, tt.src))
			_, err := h.Load(context.Background(), path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
			if h.Module(tt.name) != nil {
				t.Fatal("a module that failed to load must not be current")
			}
		})
	}
	notWasm := filepath.Join(t.TempDir(), "junk.wasm")
	if err := os.WriteFile(notWasm, []byte("not wasm"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Load(context.Background(), notWasm); err == nil || !strings.Contains(err.Error(), "compile") {
		t.Fatalf("junk: %v", err)
	}
}

func TestRequestSeenByGuest(t *testing.T) {
	h := newHost(t, wasmhost.Config{}, nil)
	m := faultsModule(t, h)
	res, kerr := m.Handle(context.Background(), request(t,
		`{"controller":"faults/faults","action":"echo","requestId":"r1","index":"i","jwt":"secret","body":{"a":[1,"x"]},"volatile":{"v":1},"q":"\u00e9\n"}`))
	if kerr != nil {
		t.Fatal(kerr)
	}
	var seen struct {
		Controller, Action, RequestID string
		Args                          map[string]any
		Body, Volatile                jsonx.RawMessage
		Connection                    api.Connection
	}
	if err := jsonx.Unmarshal(res, &seen); err != nil {
		t.Fatalf("%v: %s", err, res)
	}
	if seen.Controller != "faults/faults" || seen.Action != "echo" || seen.RequestID != "r1" ||
		seen.Args["index"] != "i" || seen.Args["q"] != "é\n" || string(seen.Body) != `{"a":[1,"x"]}` ||
		string(seen.Volatile) != `{"v":1}` || seen.Connection.ID != "c1" || seen.Connection.Protocol != "mqtt" {
		t.Fatalf("guest saw %s", res)
	}
	if strings.Contains(string(res), "secret") {
		t.Fatalf("the guest must not see the token: %s", res)
	}
}

// TestInputBuffer sends inputs of growing sizes, so that the guest's input
// buffer is reused and grown, to guests of both ABI versions and to the
// AssemblyScript SDK (which resets its heap around the kept buffer).
func TestInputBuffer(t *testing.T) {
	h := newHost(t, wasmhost.Config{Limits: wasmhost.Limits{PoolSize: 1}}, nil)
	echo := map[string]*wasmhost.Module{
		"abi1": load(t, h, "faults1", buildC(t, "-DSTARLING_ABI_VERSION=1", "testdata/faults.c")),
		"abi2": faultsModule(t, h),
	}
	geofence := load(t, h, "geofence-as", buildAS(t, "../examples/geofence/assemblyscript/geofence.ts"))
	for _, size := range []int{10, 5000, 100, 70000, 3000, 300000, 10} {
		pad := strings.Repeat("x", size)
		for abi, m := range echo {
			res, kerr := m.Handle(context.Background(), request(t, `{"action":"echo","body":{"pad":"`+pad+`"}}`))
			if kerr != nil || !strings.Contains(string(res), `"body":{"pad":"`+pad+`"}`) {
				t.Fatalf("%s, %d bytes: %.200s / %v", abi, size, res, kerr)
			}
		}
		res, kerr := geofence.Handle(context.Background(), request(t,
			`{"action":"check","body":{"pad":"`+pad+`","lat":43.6,"lon":1.44}}`))
		if kerr != nil || !strings.Contains(string(res), `"inside":true`) {
			t.Fatalf("assemblyscript, %d bytes: %.200s / %v", size, res, kerr)
		}
	}
}
