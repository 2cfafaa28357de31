package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"
)

func TestPhases(t *testing.T) {
	cfg := Config{Dir: t.TempDir(), Docs: 1000, Writers: 2, Window: 4, LowWindow: 2, Duration: 100 * time.Millisecond, MaxOps: 2000}
	var out bytes.Buffer
	if err := run(context.Background(), cfg, &out); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(&out)
	for _, want := range []string{"preload", "create", "get", "search", "search-few"} {
		var p Phase
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("phase %s: %v", want, err)
		}
		if p.Name != want || p.Ops == 0 || p.Errors != 0 || p.Seconds <= 0 {
			t.Errorf("phase %s: %+v", want, p)
		}
		if want == "preload" && p.Ops != int64(cfg.Docs) {
			t.Errorf("preload wrote %d documents, want %d", p.Ops, cfg.Docs)
		}
		if want != "preload" && (p.P50 <= 0 || p.P99 < p.P50) {
			t.Errorf("phase %s: latencies %+v", want, p)
		}
	}
}
