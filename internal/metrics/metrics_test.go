package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// scrape serves GET /metrics from m and returns the status and body.
func scrape(t *testing.T, m *Metrics) (int, string) {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want Prometheus's text format", ct)
	}
	return resp.StatusCode, string(body)
}

// wantLines fails unless every line is in body.
func wantLines(t *testing.T, body string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains("\n"+body, "\n"+l+"\n") {
			t.Errorf("no line %q in:\n%s", l, body)
		}
	}
}

func TestScrapeReadsTheSourceAndTheObservations(t *testing.T) {
	calls := 0
	m := New(func(context.Context) (Snapshot, error) {
		calls++
		return Snapshot{
			Connections:     map[string]int{"mqtt": 3},
			RunningRequests: 2, PendingRequests: 1, Rooms: 4, Subscriptions: 5, QueuedBytes: 1024,
			SlowClientDisconnects: 6,
			Refused:               map[string]int64{"core.realtime.too_many_rooms": 7},
			StoreCommits:          8, StoreWrites: 9,
		}, nil
	})
	m.ObserveRequest("server", "now", 200, 2*time.Millisecond)
	m.ObserveRequest("server", "now", 200, 3*time.Millisecond)
	m.ObserveRequest("", "", 400, 0)
	m.Delivered(10)
	m.Dropped(1)
	m.Dropped(0)
	if calls != 0 {
		t.Fatalf("the source was read %d times before any scrape", calls)
	}
	status, body := scrape(t, m)
	if status != http.StatusOK {
		t.Fatalf("status %d:\n%s", status, body)
	}
	if calls != 1 {
		t.Errorf("one scrape read the source %d times, want 1", calls)
	}
	wantLines(t, body,
		`starling_connections{protocol="mqtt"} 3`,
		`starling_requests_running 2`,
		`starling_requests_pending 1`,
		`starling_rooms 4`,
		`starling_subscriptions 5`,
		`starling_mqtt_queued_bytes 1024`,
		`starling_slow_client_disconnects_total 6`,
		`starling_refused_total{reason="core.realtime.too_many_rooms"} 7`,
		`starling_store_commits_total 8`,
		`starling_store_writes_total 9`,
		`starling_requests_total{action="now",controller="server",status="200"} 2`,
		`starling_requests_total{action="",controller="",status="400"} 1`,
		`starling_request_duration_seconds_count{action="now",controller="server"} 2`,
		`starling_request_duration_seconds_sum{action="now",controller="server"} 0.005`,
		`starling_request_duration_seconds_bucket{action="now",controller="server",le="0.0025"} 1`,
		`starling_request_duration_seconds_bucket{action="now",controller="server",le="0.005"} 2`,
		`starling_notifications_total{outcome="sent"} 10`,
		`starling_notifications_total{outcome="dropped"} 1`,
		"# TYPE starling_request_duration_seconds histogram",
		"# TYPE starling_refused_total counter",
		"# TYPE starling_rooms gauge",
	)
	if !strings.Contains(body, "\ngo_goroutines ") || !strings.Contains(body, "\nprocess_") {
		t.Errorf("no Go runtime or process metrics:\n%s", body)
	}
}

func TestFailingSourceKeepsTheOtherMetrics(t *testing.T) {
	m := New(func(context.Context) (Snapshot, error) { return Snapshot{}, errors.New("dispatcher stats: timeout") })
	m.ObserveRequest("server", "now", 200, time.Millisecond)
	status, body := scrape(t, m)
	if status != http.StatusOK {
		t.Fatalf("status %d, want 200 with the metrics that could be read:\n%s", status, body)
	}
	wantLines(t, body, `starling_requests_total{action="now",controller="server",status="200"} 1`)
	if strings.Contains(body, "starling_rooms") {
		t.Errorf("metrics of a failed source reported:\n%s", body)
	}
}

func TestRegistriesAreIndependent(t *testing.T) {
	a, b := New(nil), New(nil)
	a.ObserveRequest("server", "now", 200, time.Millisecond)
	_, body := scrape(t, b)
	if strings.Contains(body, "starling_requests_total{") {
		t.Errorf("one server's observations reached another's registry:\n%s", body)
	}
}

func TestWasmSeries(t *testing.T) {
	m := New(func(context.Context) (Snapshot, error) {
		return Snapshot{
			Wasm:          map[string]WasmModule{"shop": {Traps: 2, MemoryBytes: 65536, Instances: 1, Quarantined: true}},
			WasmHookDrops: 7,
		}, nil
	})
	_, body := scrape(t, m)
	wantLines(t, body,
		`starling_wasm_traps_total{module="shop"} 2`,
		`starling_wasm_memory_bytes{module="shop"} 65536`,
		`starling_wasm_instances{module="shop"} 1`,
		`starling_wasm_quarantined{module="shop"} 1`,
		`starling_wasm_hook_drops_total 7`,
		"# TYPE starling_wasm_hook_drops_total counter",
	)
	// Without Wasm, no Wasm series at all.
	_, body = scrape(t, New(func(context.Context) (Snapshot, error) { return Snapshot{}, nil }))
	if strings.Contains(body, "starling_wasm_hook_drops_total") {
		t.Errorf("hook drops reported with Wasm off:\n%s", body)
	}
}
