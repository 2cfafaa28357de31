package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/starlingmq/starling/bench/internal/pg"
)

// TestMain lets the test binary play the echo responder, as the harness's
// own binary does.
func TestMain(m *testing.M) {
	if os.Getenv(roleEnv) != "" {
		os.Exit(runRole())
	}
	os.Exit(m.Run())
}

// newTestHarness builds Starling (the go build cache makes it quick after
// the first test), or takes STARLING_BENCH_BINARY, and pins nothing.
func newTestHarness(t *testing.T) *Harness {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	h, cleanup, err := NewHarness(context.Background(), Options{StarlingBin: os.Getenv("STARLING_BENCH_BINARY")}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	h.Require = os.Getenv("STARLING_REQUIRE_ALL") == "1"
	return h
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// needs skips the test when a peer's tool is missing, or fails it under
// STARLING_REQUIRE_ALL=1.
func needs(t *testing.T, h *Harness, server string) {
	t.Helper()
	err := h.Env.Available(server)
	switch {
	case err == nil:
	case h.Require:
		t.Fatalf("%s needed (STARLING_REQUIRE_ALL=1): %v", server, err)
	default:
		t.Skipf("%s: %v", server, err)
	}
}

// eachServer runs f once per server, alone in the harness.
func eachServer(t *testing.T, h *Harness, servers []string, f func(t *testing.T) *Report) {
	for _, s := range servers {
		t.Run(s, func(t *testing.T) {
			needs(t, h, s)
			h.Servers = []string{s}
			rep := f(t)
			if len(rep.Rows) == 0 {
				t.Fatalf("no results: %+v", rep)
			}
			var out bytes.Buffer
			rep.Print(&out)
			t.Log(out.String())
			for _, r := range rep.Rows {
				if r.Note != "" {
					t.Errorf("%s: failed: %s", r.Case, r.Note)
				}
				if r.Values["errors"] != 0 || r.Values["lost"] != 0 {
					t.Errorf("%s: %v errors, %v lost", r.Case, r.Values["errors"], r.Values["lost"])
				}
			}
			checkOutput(t, rep)
		})
	}
}

func TestFanoutTiny(t *testing.T) {
	h := newTestHarness(t)
	cfg := FanoutConfig{Subscribers: []int{5}, Filters: 200, Deliveries: 1000, MinRate: 10, MaxRate: 200,
		Duration: 300 * time.Millisecond, Drain: 5 * time.Second}
	eachServer(t, h, []string{Starling, Mosquitto, Aedes}, func(t *testing.T) *Report {
		rep := h.Fanout(context.Background(), cfg)
		for _, r := range rep.Rows {
			if r.Values["rate"] <= 0 || r.Values["p50"] <= 0 || r.Values["bytes"] == 0 {
				t.Errorf("%s: empty figures %v", r.Case, r.Values)
			}
		}
		return rep
	})
}

func TestReqRespTiny(t *testing.T) {
	h := newTestHarness(t)
	cfg := ReqRespConfig{Versions: []byte{4, 5}, Rates: []int{500, 0}, Duration: 300 * time.Millisecond,
		Window: 16, Drain: 5 * time.Second, MaxFlatOut: 20000}
	eachServer(t, h, []string{Starling, Mosquitto, Aedes}, func(t *testing.T) *Report {
		rep := h.ReqResp(context.Background(), cfg)
		for _, r := range rep.Rows {
			if r.Values["rate"] <= 0 || r.Values["p99"] <= 0 {
				t.Errorf("%s: empty figures %v", r.Case, r.Values)
			}
		}
		return rep
	})
}

func TestIdleTiny(t *testing.T) {
	h := newTestHarness(t)
	eachServer(t, h, []string{Starling, Mosquitto, Aedes}, func(t *testing.T) *Report {
		rep := h.Idle(context.Background(), IdleConfig{Connections: []int{300}, Sources: 3})
		for _, r := range rep.Rows {
			if r.Values["after"] <= 0 || r.Values["rate"] <= 0 {
				t.Errorf("%s: empty figures %v", r.Case, r.Values)
			}
		}
		return rep
	})
}

func TestFiltersTiny(t *testing.T) {
	h := newTestHarness(t)
	needs(t, h, Koncorde)
	rep, err := h.Filters(context.Background(), FiltersConfig{Counts: []int{500}, Families: []string{"equals"}, Quick: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 2 || rep.Rows[0].Values["match"] <= 0 || rep.Rows[1].Values["match"] <= 0 {
		t.Fatalf("want Starling and koncorde figures, got %+v", rep.Rows)
	}
	checkOutput(t, rep)
}

// checkOutput writes the report as --out does and reads it back.
func checkOutput(t *testing.T, rep *Report) {
	t.Helper()
	dir := t.TempDir()
	if err := rep.Write(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, rep.Scenario+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil || len(back.Rows) != len(rep.Rows) {
		t.Fatalf("JSON does not read back: %v", err)
	}
	svg, err := os.ReadFile(filepath.Join(dir, rep.Scenario+".svg"))
	if err != nil || !bytes.HasPrefix(svg, []byte("<svg")) || !bytes.HasSuffix(svg, []byte("</svg>\n")) {
		t.Fatalf("bad SVG: %v", err)
	}
}

func TestReportRatios(t *testing.T) {
	rep := &Report{Scenario: "x", Title: "t", Columns: []Column{{Key: "cpu", Header: "cpu", Chart: true}}}
	rep.Add(Row{Case: "a", Server: Starling, Values: map[string]float64{"cpu": 3}})
	rep.Add(Row{Case: "a", Server: Mosquitto, Values: map[string]float64{"cpu": 4}})
	var out bytes.Buffer
	rep.Print(&out)
	if !strings.Contains(out.String(), "| starling/mosquitto | 0.75× |") {
		t.Fatalf("no ratio line:\n%s", out.String())
	}
}

func TestParseArgs(t *testing.T) {
	o, err := parse([]string{"fanout", "--quick", "--subscribers", "10,100"}, io.Discard)
	if err != nil || len(o.Scenarios) != 1 || o.Scenarios[0] != "fanout" || len(o.Fanout.Subscribers) != 2 || o.Fanout.Duration != 4*time.Second {
		t.Fatalf("parse: %+v, %v", o, err)
	}
	if _, err := parse([]string{"nope"}, io.Discard); err == nil {
		t.Fatal("unknown scenario accepted")
	}
}

func TestDocumentsTiny(t *testing.T) {
	h := newTestHarness(t)
	cfg := DocumentsConfig{Docs: 2000, Duration: 300 * time.Millisecond, Conns: 2, Window: 8, PreloadConns: 1, PreloadWindow: 2, FewWindow: 2}
	rep := h.Documents(context.Background(), cfg)
	var out bytes.Buffer
	rep.Print(&out)
	t.Log(out.String())
	if len(rep.Rows) != 10 {
		t.Fatalf("want 5 cases × (starling, driver), got %d rows", len(rep.Rows))
	}
	for _, r := range rep.Rows {
		if r.Note != "" {
			t.Errorf("%s, %s: failed: %s", r.Case, r.Server, r.Note)
		}
		if r.Values["rate"] <= 0 || r.Values["cpu"] <= 0 || r.Values["errors"] != 0 || r.Values["lost"] != 0 {
			t.Errorf("%s, %s: figures %v", r.Case, r.Server, r.Values)
		}
		if !strings.HasPrefix(r.Case, "preload") && r.Values["p99"] <= 0 {
			t.Errorf("%s, %s: no latency %v", r.Case, r.Server, r.Values)
		}
	}
	for _, goal := range []string{"goal create ≥ 20,000/s", "goal create ≥ 50 %", "goal get ≥ 50,000/s", "goal search by term p99 ≤ 5 ms"} {
		if !strings.Contains(out.String(), goal) {
			t.Errorf("no %q note", goal)
		}
	}
	checkOutput(t, rep)
}

func TestDocumentRequests(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"create with id", appendCreate(nil, "d1", 1, "s0"), `"action":"create"`},
		{"create generated", appendCreate(nil, "", 1, "s1"), `"requestId":"s1","body":{"name":"user-1"`},
		{"mCreate", appendMCreate(nil, 0, 2, "s2"), `"body":{"documents":[{"_id":"d0","body":{`},
		{"get", appendGet(nil, "d7", "s3"), `"_id":"d7"}`},
		{"search", appendSearch(nil, 5, "s4"), `"size":10,"body":{"query":{"term":{"city":"city-5"}}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v map[string]any
			if err := json.Unmarshal(tt.got, &v); err != nil {
				t.Fatalf("%s: %v", tt.got, err)
			}
			if !bytes.Contains(tt.got, []byte(tt.want)) {
				t.Errorf("%s lacks %s", tt.got, tt.want)
			}
		})
	}
}

func TestDocumentsArgs(t *testing.T) {
	tests := []struct {
		args []string
		docs int
		dur  time.Duration
	}{
		{[]string{"documents"}, 1_000_000, 10 * time.Second},
		{[]string{"documents", "--quick"}, 100_000, 3 * time.Second},
		{[]string{"documents", "--docs", "1001", "--repeat", "3"}, 1200, 10 * time.Second},
	}
	for _, tt := range tests {
		o, err := parse(tt.args, io.Discard)
		if err != nil || len(o.Scenarios) != 1 || o.Documents.Docs != tt.docs || o.Documents.Duration != tt.dur || o.Documents.Conns*o.Documents.Window != 64 {
			t.Errorf("parse %v: %+v, %v", tt.args, o.Documents, err)
		}
	}
	if o, _ := parse([]string{"documents", "--repeat", "3"}, io.Discard); o.Documents.Repeat != 3 {
		t.Errorf("--repeat 3: %+v", o.Documents)
	}
}

// TestClusterTiny runs both halves of the cluster scenario small: three
// nodes and one, then PostgreSQL and SQLite.
func TestClusterTiny(t *testing.T) {
	h := newTestHarness(t)
	cfg := clusterDefaults(true)
	cfg.Subscribers, cfg.Filters, cfg.Rate, cfg.Window = 12, 90, 50, 4
	cfg.Duration, cfg.Drain, cfg.Heartbeat = 500*time.Millisecond, 5*time.Second, 200*time.Millisecond
	cfg.Documents = DocumentsConfig{Docs: 2000, Duration: 300 * time.Millisecond, Conns: 2, Window: 8, PreloadConns: 1, PreloadWindow: 2, FewWindow: 2}
	reps := h.Cluster(context.Background(), cfg)
	if len(reps) != 2 {
		t.Fatalf("want 2 reports, got %d", len(reps))
	}
	fan, docs := reps[0], reps[1]
	checkClusterFanout(t, fan, cfg)
	var out bytes.Buffer
	docs.Print(&out)
	t.Log(out.String())
	if pgErr := pgAvailable(); pgErr != nil {
		if h.Require {
			t.Fatalf("PostgreSQL needed (STARLING_REQUIRE_ALL=1): %v", pgErr)
		}
		t.Logf("PostgreSQL half skipped: %v", pgErr)
		return
	}
	checkRows(t, docs, 6)
	for _, r := range docs.Rows {
		if r.Values["rate"] <= 0 || r.Values["total"] <= 0 {
			t.Errorf("%s, %s: figures %v", r.Case, r.Server, r.Values)
		}
		if pg := r.Server == pgServer; pg != (r.Values["dbcpu"] > 0) {
			t.Errorf("%s, %s: PostgreSQL CPU %v", r.Case, r.Server, r.Values["dbcpu"])
		}
	}
	if !strings.Contains(out.String(), "| postgres/sqlite |") {
		t.Errorf("no postgres/sqlite ratio line:\n%s", out.String())
	}
	checkOutput(t, docs)
}

// checkClusterFanout checks the fan-out table: both cases on the cluster
// and on one node, every publish delivered to every subscriber, two
// notifications shipped per publish on three nodes and none on one.
func checkClusterFanout(t *testing.T, rep *Report, cfg ClusterConfig) {
	t.Helper()
	var out bytes.Buffer
	rep.Print(&out)
	t.Log(out.String())
	checkRows(t, rep, 4)
	for _, r := range rep.Rows {
		v := r.Values
		if v["rate"] <= 0 || v["pubs"] <= 0 || v["p50"] <= 0 {
			t.Errorf("%s, %s: empty figures %v", r.Case, r.Server, v)
		}
		// CPU time counts in 10 ms ticks: a short fixed-rate case may
		// not reach one; thousands of deliveries flat out do.
		if strings.HasPrefix(r.Case, "flat out") && (v["cpu"] <= 0 || v["cpu1"] <= 0) {
			t.Errorf("%s, %s: no CPU time %v", r.Case, r.Server, v)
		}
		want := float64(cfg.Nodes - 1)
		if r.Server == singleServer {
			want = 0
		}
		if v["cross"] != want {
			t.Errorf("%s, %s: %v cross-node messages per publish, want %v", r.Case, r.Server, v["cross"], want)
		}
		if _, third := v["cpu3"]; third != (r.Server == clusterServer) {
			t.Errorf("%s, %s: third node's CPU %v", r.Case, r.Server, v)
		}
	}
	if !strings.Contains(out.String(), "| cluster/single |") {
		t.Errorf("no cluster/single ratio line:\n%s", out.String())
	}
	checkOutput(t, rep)
}

// checkRows checks a report has n rows, none failed, with no error and
// nothing lost.
func checkRows(t *testing.T, rep *Report, n int) {
	t.Helper()
	if len(rep.Rows) != n {
		t.Fatalf("%s: want %d rows, got %d: %+v", rep.Scenario, n, len(rep.Rows), rep.Rows)
	}
	for _, r := range rep.Rows {
		if r.Note != "" {
			t.Errorf("%s, %s: failed: %s", r.Case, r.Server, r.Note)
		}
		if r.Values["errors"] != 0 || r.Values["lost"] != 0 {
			t.Errorf("%s, %s: %v errors, %v lost", r.Case, r.Server, r.Values["errors"], r.Values["lost"])
		}
	}
}

func TestClusterArgs(t *testing.T) {
	tests := []struct {
		args              []string
		docs, subs, nodes int
		dur               time.Duration
	}{
		{[]string{"cluster"}, 100_000, 300, 3, 10 * time.Second},
		{[]string{"cluster", "--quick"}, 20_000, 300, 3, 4 * time.Second},
		{[]string{"cluster", "--docs", "1001", "--nodes", "4", "--cluster-subscribers", "40"}, 1200, 40, 4, 10 * time.Second},
	}
	for _, tt := range tests {
		o, err := parse(tt.args, io.Discard)
		c := o.Cluster
		if err != nil || len(o.Scenarios) != 1 || o.Scenarios[0] != "cluster" || c.Documents.Docs != tt.docs || c.Subscribers != tt.subs ||
			c.Nodes != tt.nodes || c.Publishers != tt.nodes || c.Duration != tt.dur || c.Documents.Conns*c.Documents.Window != 64 {
			t.Errorf("parse %v: %+v, %v", tt.args, c, err)
		}
	}
	if o, _ := parse([]string{"documents"}, io.Discard); o.Documents.Docs != 1_000_000 || o.Cluster.Documents.Docs != 100_000 {
		t.Errorf("documents' and cluster's sizes mixed: %d, %d", o.Documents.Docs, o.Cluster.Documents.Docs)
	}
	if _, err := parse([]string{"cluster", "--nodes", "1"}, io.Discard); err == nil {
		t.Error("a cluster of one node accepted")
	}
	if o, _ := parse([]string{"all"}, io.Discard); !slices.Contains(o.Scenarios, "cluster") {
		t.Errorf("all runs %v", o.Scenarios)
	}
}

// pgAvailable says why PostgreSQL's half is skipped here, if it is.
func pgAvailable() error { return pg.Available() }
