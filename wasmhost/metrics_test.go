package wasmhost_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/starlingmq/starling/actors/node"
	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/wasmhost"
)

// observed is one call an Observer was told of.
type observed struct {
	module, kind string
	failed       bool
}

// observer records the calls it is told of.
type observer struct {
	mu    sync.Mutex
	calls []observed
}

func (o *observer) WasmCall(module, kind string, elapsed time.Duration, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if elapsed <= 0 {
		panic("wasm call observed with no duration")
	}
	o.calls = append(o.calls, observed{module, kind, err != nil})
}

// TestObserver loads a module, runs a controller action, a failing one and
// a filter test on a host with an Observer: it is told of each, with its
// module and kind.
func TestObserver(t *testing.T) {
	obs := &observer{}
	h, err := wasmhost.New(context.Background(), wasmhost.Options{
		Config: wasmhost.Config{CacheDir: "-"}, Logger: testLogger(t), Observer: obs,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	m := load(t, h, "faultmod", buildC(t, "testdata/faults.c"))
	ctx := context.Background()
	if _, kerr := m.Handle(ctx, &api.Request{Controller: "faults", Action: "empty"}); kerr != nil {
		t.Fatalf("faults:empty: %v", kerr)
	}
	if _, kerr := m.Handle(ctx, &api.Request{Controller: "faults", Action: "fail"}); kerr == nil {
		t.Fatal("faults:fail succeeded")
	}
	f, err := h.Filter("faultmod", "even", nil)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := f.Test(ctx, []byte(`{"n":2}`)); !ok || err != nil {
		t.Fatalf("even(2): %v %v", ok, err)
	}
	want := []observed{
		{"faultmod", wasmhost.KindInit, false}, // the C SDK exports starling_init
		{"faultmod", wasmhost.KindController, false},
		{"faultmod", wasmhost.KindController, true},
		{"faultmod", wasmhost.KindFilter, false},
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.calls) != len(want) {
		t.Fatalf("observed %+v, want %+v", obs.calls, want)
	}
	for i := range want {
		if obs.calls[i] != want[i] {
			t.Fatalf("observed %+v, want %+v", obs.calls, want)
		}
	}
}

// TestNodeWasmMetrics starts a node whose module directory holds a
// controller, calls it over MQTT and reads the module's counters from the
// node's Prometheus handler.
func TestNodeWasmMetrics(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "faultmod", buildC(t, "testdata/faults.c"))
	cfg, err := config.Load(config.Sources{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Server.MQTT.Host, cfg.Server.MQTT.Port = "127.0.0.1", 0
	cfg.Server.Host, cfg.Server.Port = "127.0.0.1", 0
	cfg.Storage.Path = t.TempDir()
	cfg.Wasm.Dir, cfg.Wasm.DirSet, cfg.Wasm.CacheDir = dir, true, "-"
	n, err := node.Start(node.Options{Config: cfg, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := n.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	cl := connect(t, n.MQTTAddr().String())
	if r := cl.call(t, `{"controller":"faultmod/faults","action":"echo","body":{"a":1}}`); r.Status != 200 {
		t.Fatalf("faults:echo: %s", r.raw)
	}
	body := scrape(t, n.MetricsHandler())
	for _, line := range []string{
		`starling_wasm_calls_total{kind="controller",module="faultmod"} 1`,
		`starling_wasm_call_duration_seconds_count{kind="controller",module="faultmod"} 1`,
	} {
		if !strings.Contains(body, line+"\n") {
			t.Fatalf("no %q in the scrape:\n%s", line, body)
		}
	}
	if strings.Contains(body, `starling_wasm_errors_total{`) {
		t.Fatalf("an error counted after a successful call:\n%s", body)
	}
	if r := cl.call(t, `{"controller":"faultmod/faults","action":"fail"}`); r.Status != 500 {
		t.Fatalf("faults:fail: %s", r.raw)
	}
	body = scrape(t, n.MetricsHandler())
	for _, line := range []string{
		`starling_wasm_calls_total{kind="controller",module="faultmod"} 2`,
		`starling_wasm_errors_total{kind="controller",module="faultmod"} 1`,
	} {
		if !strings.Contains(body, line+"\n") {
			t.Fatalf("no %q in the scrape:\n%s", line, body)
		}
	}
}

// scrape gets /metrics from the handler and returns its body.
func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v:\n%s", resp.StatusCode, err, body)
	}
	return string(body)
}

// TestHookDropsMetric: hook events dropped for a full hook queue are
// counted in starling_wasm_hook_drops_total.
func TestHookDropsMetric(t *testing.T) {
	s := startPipeServer(t, map[string]string{
		"hooked": buildPipes(t, `{"hooks":["server:afterNow"]}`, "h"),
	}, func(c *config.Config) {
		c.Wasm.Limits.CallTimeout = 2 * time.Second
		c.PluginsCommon.HookQueue = 1
	})
	if body := scrape(t, s.node.MetricsHandler()); !strings.Contains(body, "\nstarling_wasm_hook_drops_total 0\n") {
		t.Fatalf("no hook drops series at 0:\n%s", body)
	}
	cl := connect(t, s.addr)
	// Four hook workers loop, one event waits: the others are dropped.
	for range 10 {
		if r := cl.call(t, `{"controller":"server","action":"now","volatile":{"hook":"loop"}}`); r.Status != 200 {
			t.Fatalf("now: %s", r.raw)
		}
	}
	deadline := time.Now().Add(wait)
	for {
		body := scrape(t, s.node.MetricsHandler())
		i := strings.Index(body, "\nstarling_wasm_hook_drops_total ")
		if i >= 0 && !strings.HasPrefix(body[i:], "\nstarling_wasm_hook_drops_total 0\n") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no hook drop counted:\n%s", body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
