package wasmhost_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/starlingmq/starling/actors/node"
	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/jsonx"
)

// startWasmNode starts a node whose own Wasm host watches dir, on the store
// in storage, with the modules' settings given (none when nil); stop shuts
// it down (also done with the test).
func startWasmNode(t *testing.T, storage, dir string, modules map[string]config.WasmLimits) (n *node.Node, stop func()) {
	t.Helper()
	cfg, err := config.Load(config.Sources{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Server.MQTT.Host, cfg.Server.MQTT.Port = "127.0.0.1", 0
	cfg.Server.Host, cfg.Server.Port = "127.0.0.1", 0
	cfg.Storage.Path = storage
	cfg.Wasm.Dir, cfg.Wasm.DirSet = dir, true
	cfg.Wasm.CacheDir = filepath.Join(buildDir, "cache")
	cfg.Wasm.WatchInterval = 20 * time.Millisecond
	if modules != nil {
		cfg.Wasm.Modules = modules
	}
	n, err = node.Start(node.Options{Config: cfg, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := n.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}
	t.Cleanup(stop)
	return n, stop
}

// untilResult calls until the answer's result is want (a reload is
// asynchronous).
func untilResult(t *testing.T, cl *client, payload, want string) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		r := cl.call(t, payload)
		if r.Status == 200 && string(r.Result) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never answered %s: last %s", payload, want, r.raw)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// expectResult calls once and checks the result.
func expectResult(t *testing.T, cl *client, payload, want string) {
	t.Helper()
	if r := cl.call(t, payload); r.Status != 200 || string(r.Result) != want {
		t.Fatalf("%s: %s, want the result %s", payload, r.raw, want)
	}
}

// TestMQTTStateSurvivesRestart sets state over MQTT, replaces the module
// file, restarts the node on the same storage path and reads it back; API
// clients cannot reach the index that keeps it.
func TestMQTTStateSurvivesRestart(t *testing.T) {
	storage, dir := t.TempDir(), t.TempDir()
	install(t, dir, "counter", buildState(t, 1))
	modules := map[string]config.WasmLimits{"counter": {StateQuota: 100, StateValueSize: 60}}
	n, stop := startWasmNode(t, storage, dir, modules)
	cl := connect(t, n.MQTTAddr().String())
	untilResult(t, cl, `{"controller":"counter/state","action":"version"}`, "1")
	expectResult(t, cl, `{"controller":"counter/state","action":"set","body":{"key":"doc","value":{"a":"b"}}}`, `{"status":0}`)
	expectResult(t, cl, `{"controller":"counter/state","action":"incr","body":{"key":"n","delta":1}}`, `{"status":0,"value":1}`)
	// 40 increments at once: each answers a value of its own, the last 41.
	aside, ids := map[string]response{}, make([]string, 40)
	for i := range ids {
		ids[i] = cl.send(t, `{"controller":"counter/state","action":"incr","body":{"key":"n","delta":1}}`)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		r := cl.await(t, id, aside)
		if r.Status != 200 || seen[string(r.Result)] {
			t.Fatalf("parallel incr: %s", r.raw)
		}
		seen[string(r.Result)] = true
	}
	expectResult(t, cl, `{"controller":"counter/state","action":"get","body":{"key":"n"}}`, `{"status":2,"value":41}`)
	// plugins.wasm.modules.counter: stateValueSize 60, stateQuota 100
	// (12 + 3 bytes in use).
	expectResult(t, cl, `{"controller":"counter/state","action":"fill","body":{"key":"big","size":61}}`, `{"status":-2}`)
	expectResult(t, cl, `{"controller":"counter/state","action":"fill","body":{"key":"big","size":60}}`, `{"status":0}`)
	expectResult(t, cl, `{"controller":"counter/state","action":"fill","body":{"key":"big2","size":30}}`, `{"status":-3}`)
	expectResult(t, cl, `{"controller":"counter/state","action":"delete","body":{"key":"big"}}`, `{"status":1}`)
	expectResult(t, cl, `{"controller":"counter/state","action":"fill","body":{"key":"big2","size":30}}`, `{"status":0}`)

	install(t, dir, "counter", buildState(t, 2))
	untilResult(t, cl, `{"controller":"counter/state","action":"version"}`, "2")
	expectResult(t, cl, `{"controller":"counter/state","action":"incr","body":{"key":"n","delta":1}}`, `{"status":0,"value":42}`)
	checkInternalIndexHidden(t, cl)
	stop()

	n2, _ := startWasmNode(t, storage, dir, modules)
	cl2 := connect(t, n2.MQTTAddr().String())
	untilResult(t, cl2, `{"controller":"counter/state","action":"version"}`, "2")
	expectResult(t, cl2, `{"controller":"counter/state","action":"get","body":{"key":"doc"}}`, `{"status":9,"value":{"a":"b"}}`)
	expectResult(t, cl2, `{"controller":"counter/state","action":"incr","body":{"key":"n","delta":1}}`, `{"status":0,"value":43}`)
	// The usage was counted at start: doc 12, n 3, big2 34 bytes.
	expectResult(t, cl2, `{"controller":"counter/state","action":"fill","body":{"key":"big","size":60}}`, `{"status":-3}`)
	expectResult(t, cl2, `{"controller":"counter/state","action":"fill","body":{"key":"big","size":48}}`, `{"status":0}`)
	checkInternalIndexHidden(t, cl2)
}

// checkInternalIndexHidden: the %wasm index is neither listed, read,
// searched, written nor deleted through the API.
func checkInternalIndexHidden(t *testing.T, cl *client) {
	t.Helper()
	r := cl.call(t, `{"controller":"index","action":"list"}`)
	if r.Status != 200 || strings.Contains(string(r.Result), "%wasm") {
		t.Fatalf("index:list: %s", r.raw)
	}
	unknown := "services.storage.unknown_index"
	for _, c := range []struct{ payload, id string }{
		{`{"controller":"document","action":"get","index":"%wasm","collection":"state","_id":"counter/bg"}`, unknown},
		{`{"controller":"document","action":"search","index":"%wasm","collection":"state","body":{}}`, unknown},
		{`{"controller":"document","action":"createOrReplace","index":"%wasm","collection":"state","_id":"counter/bg","body":{"value":"MQ==","size":2}}`, unknown},
		{`{"controller":"document","action":"delete","index":"%wasm","collection":"state","_id":"counter/bg"}`, unknown},
		{`{"controller":"bulk","action":"import","index":"%wasm","collection":"state","body":{"bulkData":[{"index":{"_id":"counter/bg"}},{"value":"MQ=="}]}}`, unknown},
		{`{"controller":"collection","action":"list","index":"%wasm"}`, unknown},
		{`{"controller":"collection","action":"truncate","index":"%wasm","collection":"state"}`, unknown},
		{`{"controller":"index","action":"delete","index":"%wasm"}`, unknown},
		{`{"controller":"index","action":"mDelete","body":{"indexes":["%wasm"]}}`, ""},
		{`{"controller":"document","action":"search","targets":[{"index":"%wasm","collections":["state"]}],"body":{}}`, "*"},
	} {
		r := cl.call(t, c.payload)
		switch {
		case strings.Contains(r.raw, "MQ==") && !strings.Contains(c.payload, "MQ=="):
			t.Fatalf("%s reached the state: %s", c.payload, r.raw)
		case c.id == "" && (r.Status != 200 || string(r.Result) != `{"deleted":[]}`):
			t.Fatalf("%s: %s, want nothing deleted", c.payload, r.raw)
		case c.id == "*" && r.Status == 200:
			t.Fatalf("%s: %s, want an error", c.payload, r.raw)
		case c.id != "" && c.id != "*" && (r.Error == nil || r.Error.ID != c.id):
			t.Fatalf("%s: %s, want %s", c.payload, r.raw, c.id)
		}
	}
	// "n" is base64url "bg": the value is still what the guest wrote.
	r = cl.call(t, `{"controller":"counter/state","action":"get","body":{"key":"n"}}`)
	var got struct {
		Status int `json:"status"`
	}
	if err := jsonx.Unmarshal(r.Result, &got); err != nil || got.Status != 2 {
		t.Fatalf("the state after the API's attempts: %s", r.raw)
	}
}

// TestMQTTWasmMetricsAndQuarantine traps a module 5 times over MQTT: it is
// quarantined for a second, which server:metrics and the Prometheus series
// show along with its calls, errors, traps, call times and memory.
func TestMQTTWasmMetricsAndQuarantine(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, "mx", buildState(t, 1))
	n, _ := startWasmNode(t, t.TempDir(), dir, nil)
	cl := connect(t, n.MQTTAddr().String())
	untilResult(t, cl, `{"controller":"mx/state","action":"version"}`, "1")
	for range 5 {
		if r := cl.call(t, `{"controller":"mx/state","action":"trap"}`); r.Error == nil || !strings.Contains(r.Error.Message, "unreachable") {
			t.Fatalf("trap: %s", r.raw)
		}
	}
	r := cl.call(t, `{"controller":"mx/state","action":"version"}`)
	if r.Status != 500 || r.Error.ID != "plugin.runtime.unexpected_error" || !strings.Contains(r.Error.Message, "module mx is quarantined until 20") {
		t.Fatalf("quarantined: %s", r.raw)
	}
	var m struct {
		Wasm map[string]struct {
			Calls, Errors, Traps uint64
			P50, P99             float64
			Instances, Memory    int64
			QuarantinedUntil     *int64 `json:"quarantinedUntil"`
		} `json:"wasm"`
	}
	r = cl.call(t, `{"controller":"server","action":"metrics"}`)
	if err := jsonx.Unmarshal(r.Result, &m); err != nil || r.Status != 200 {
		t.Fatalf("server:metrics: %s", r.raw)
	}
	mx, ok := m.Wasm["mx"]
	if !ok || len(m.Wasm) != 1 {
		t.Fatalf("server:metrics wasm section: %s", r.Result)
	}
	// Every instance trapped: none is left until a call needs one. Calls:
	// the C SDK's starling_init, then six actions.
	if mx.Calls != 7 || mx.Errors != 5 || mx.Traps != 5 || mx.P50 <= 0 || mx.P99 < mx.P50 ||
		mx.Instances != 0 || mx.Memory != 0 || mx.QuarantinedUntil == nil ||
		*mx.QuarantinedUntil <= time.Now().UnixMilli() || *mx.QuarantinedUntil > time.Now().Add(time.Second).UnixMilli() {
		t.Fatalf("server:metrics wasm.mx: %s", r.Result)
	}
	for _, key := range []string{`"calls":`, `"errors":`, `"traps":`, `"p50":`, `"p99":`, `"instances":`, `"memory":`, `"quarantinedUntil":`} {
		if !strings.Contains(string(r.Result), key) {
			t.Fatalf("server:metrics wasm.mx has no %s: %s", key, r.Result)
		}
	}
	body := scrape(t, n.MetricsHandler())
	for _, line := range []string{
		`starling_wasm_traps_total{module="mx"} 5`,
		`starling_wasm_quarantined{module="mx"} 1`,
		`starling_wasm_errors_total{kind="controller",module="mx"} 5`,
	} {
		if !strings.Contains(body, line+"\n") {
			t.Fatalf("no %q in the scrape:\n%s", line, body)
		}
	}
	// Released after a second.
	untilResult(t, cl, `{"controller":"mx/state","action":"version"}`, "1")
	body = scrape(t, n.MetricsHandler())
	if !strings.Contains(body, `starling_wasm_quarantined{module="mx"} 0`+"\n") {
		t.Fatalf("still quarantined in the scrape:\n%s", body)
	}
	for _, prefix := range []string{`starling_wasm_memory_bytes{module="mx"} `, `starling_wasm_instances{module="mx"} `} {
		if !strings.Contains(body, prefix) || strings.Contains(body, prefix+"0\n") {
			t.Fatalf("no non-zero %q in the scrape:\n%s", prefix, body)
		}
	}
	r = cl.call(t, `{"controller":"server","action":"metrics"}`)
	if err := jsonx.Unmarshal(r.Result, &m); err != nil {
		t.Fatal(err)
	}
	if mx := m.Wasm["mx"]; mx.QuarantinedUntil != nil || mx.Instances != 1 || mx.Memory < 65536 || mx.Memory%65536 != 0 {
		t.Fatalf("server:metrics after the release: %s", r.Result)
	}
}
