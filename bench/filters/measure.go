package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/koncorde"
)

// RunConfig bounds a measurement: documents per workload, seconds and
// matches per engine (whichever ends first).
type RunConfig struct {
	Docs       int
	Seconds    float64
	MaxMatches int
}

// Result is one engine's figures on one workload.
type Result struct {
	RegPerSec      float64 `json:"registrationsPerSecond"`
	MatchPerSec    float64 `json:"matchesPerSecond"`
	RawPerSec      float64 `json:"-"`
	BytesPerFilter float64 `json:"bytesPerFilter"`
	Hits           float64 `json:"hits"`
}

func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// RegisterPasses is how many times each engine registers a workload's
// filters, each time into a new engine after a garbage collection; the
// median pass gives registrations/s, the last one bytes per filter.
const RegisterPasses = 5

// MeasureStarling registers the workload's filters in a new engine, then
// tests its documents, decoded and raw, on one goroutine.
func MeasureStarling(w Workload, cfg RunConfig) Result {
	var r Result
	var e *koncorde.Engine
	secs := make([]float64, RegisterPasses)
	for pass := range secs {
		e = nil
		before := heapInUse()
		e = koncorde.New(koncorde.WithMaxConditions(100))
		start := time.Now()
		for _, f := range w.Filters {
			if _, err := e.Register("index", "collection", f); err != nil {
				panic(fmt.Sprintf("workload %s: %v", w.Family, err))
			}
		}
		secs[pass] = time.Since(start).Seconds()
		r.BytesPerFilter = float64(heapInUse()-before) / float64(len(w.Filters))
	}
	slices.Sort(secs)
	r.RegPerSec = float64(len(w.Filters)) / secs[len(secs)/2]

	n, hits, t := loop(cfg, func(i int) int { return len(e.Test("index", "collection", w.Docs[i%len(w.Docs)])) })
	r.MatchPerSec, r.Hits = float64(n)/t, float64(hits)/float64(n)

	raw := make([][]byte, len(w.Docs))
	for i, d := range w.Docs {
		raw[i], _ = jsonx.Marshal(d)
	}
	n, _, t = loop(cfg, func(i int) int {
		ids, _ := e.TestJSON("index", "collection", raw[i%len(raw)])
		return len(ids)
	})
	r.RawPerSec = float64(n) / t
	runtime.KeepAlive(e)
	return r
}

// loop calls test until cfg's count or deadline, checking the clock every
// 64 calls; it returns calls, summed results and seconds.
func loop(cfg RunConfig, test func(int) int) (n, hits int, secs float64) {
	start := time.Now()
	deadline := start.Add(time.Duration(cfg.Seconds * float64(time.Second)))
	for n < cfg.MaxMatches && time.Now().Before(deadline) {
		for i := 0; i < 64 && n < cfg.MaxMatches; i++ {
			hits += test(n)
			n++
		}
	}
	return n, hits, time.Since(start).Seconds()
}

// NodeSide runs koncorde-bench.js on node.
type NodeSide struct {
	Script, Modules string
}

// Available reports why the node side cannot run, if it cannot.
func (s NodeSide) Available() error {
	if _, err := exec.LookPath("node"); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(s.Modules, "koncorde", "package.json")); err != nil {
		return errors.New("koncorde (npm) not installed: run npm ci --prefix bench/node")
	}
	_, err := os.Stat(s.Script)
	return err
}

// Measure writes the workload to a file and runs koncorde on it.
func (s NodeSide) Measure(w Workload, cfg RunConfig) (Result, error) {
	var r Result
	f, err := os.CreateTemp("", "koncorde-workload-*.json")
	if err != nil {
		return r, fmt.Errorf("workload file: %w", err)
	}
	defer os.Remove(f.Name())
	body, err := jsonx.Marshal(map[string]any{
		"filters": w.Filters, "docs": w.Docs, "maxMatches": cfg.MaxMatches, "seconds": cfg.Seconds,
		"passes": RegisterPasses,
	})
	if err != nil {
		return r, fmt.Errorf("encode workload: %w", err)
	}
	if _, err := f.Write(body); err != nil {
		return r, fmt.Errorf("write workload: %w", err)
	}
	f.Close()
	cmd := exec.Command("node", "--expose-gc", "--max-old-space-size=8192", s.Script, f.Name(), s.Modules)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return r, fmt.Errorf("node: %w: %s", err, stderr.String())
	}
	if err := jsonx.Unmarshal(out, &r); err != nil {
		return r, fmt.Errorf("decode %q: %w", out, err)
	}
	return r, nil
}
