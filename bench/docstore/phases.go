package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/starlingmq/starling/bench/internal/docs"
	"github.com/starlingmq/starling/bench/internal/hist"
	"github.com/starlingmq/starling/bench/internal/proc"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/mapping"
	"github.com/starlingmq/starling/internal/store/query"
)

// Phase is one phase's figures, the JSON line the harness reads.
type Phase struct {
	Name    string  `json:"phase"`
	Ops     int64   `json:"ops"`
	Errors  int64   `json:"errors"`
	Seconds float64 `json:"seconds"`
	// CPU is the process's CPU time over the phase, in microseconds.
	CPU float64 `json:"cpuMicros"`
	// Latency quantiles of one operation, in microseconds (0 for preload).
	P50  float64 `json:"p50"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	// RSS is the process's peak resident memory so far, in MiB.
	RSS float64 `json:"rssMiB"`
	// FirstError is the first failure's message, if any.
	FirstError string `json:"firstError,omitempty"`
}

// bench holds the store and the workload.
type bench struct {
	st       store.Store
	cfg      Config
	mappings *mapping.Mappings
}

// measure runs a phase and adds its duration and CPU time.
func (b *bench) measure(ctx context.Context, run func(context.Context) (Phase, error)) (Phase, error) {
	cpu0, err := proc.CPUTime(os.Getpid())
	if err != nil {
		return Phase{}, err
	}
	start := time.Now()
	p, err := run(ctx)
	p.Seconds = time.Since(start).Seconds()
	cpu1, _ := proc.CPUTime(os.Getpid())
	p.CPU = float64(cpu1-cpu0) / 1e3
	if mem, merr := proc.ReadMemory(os.Getpid()); merr == nil {
		p.RSS = float64(mem.Peak) / (1 << 20)
	}
	return p, err
}

// preload writes the documents docs.ID(0..Docs-1) in batches.
func (b *bench) preload(ctx context.Context) (Phase, error) {
	var next, written, failed atomic.Int64
	var first atomic.Value
	var wg sync.WaitGroup
	for range b.cfg.Writers {
		wg.Go(func() {
			ops := make([]store.Op, 0, docs.BatchSize)
			for {
				from := int(next.Add(docs.BatchSize)) - docs.BatchSize
				if from >= b.cfg.Docs {
					return
				}
				ops = ops[:0]
				for i := from; i < min(from+docs.BatchSize, b.cfg.Docs); i++ {
					ops = append(ops, store.Op{Kind: store.OpCreate, ID: docs.ID(i), Body: docs.AppendBody(nil, i), User: "-1"})
				}
				res, err := b.st.Write(ctx, docs.Index, docs.Collection, ops)
				if err != nil {
					failed.Add(int64(len(ops)))
					first.CompareAndSwap(nil, err.Error())
					continue
				}
				for _, r := range res {
					if r.Err != nil {
						failed.Add(1)
						first.CompareAndSwap(nil, r.Err.Error())
					} else {
						written.Add(1)
					}
				}
			}
		})
	}
	wg.Wait()
	p := Phase{Ops: written.Load(), Errors: failed.Load()}
	if s, ok := first.Load().(string); ok {
		p.FirstError = s
	}
	return p, nil
}

// create writes one document at a time per goroutine, with a generated id.
func (b *bench) create(ctx context.Context) (Phase, error) {
	return b.flood(b.cfg.Window, func(i int, _ *rand.Rand) error {
		op := store.Op{Kind: store.OpCreate, Body: docs.AppendBody(nil, b.cfg.Docs+i), User: "-1"}
		res, err := b.st.Write(ctx, docs.Index, docs.Collection, []store.Op{op})
		if err != nil {
			return err
		}
		return res[0].Err
	})
}

// get reads one random preloaded document at a time per goroutine.
func (b *bench) get(ctx context.Context) (Phase, error) {
	return b.flood(b.cfg.Window, func(_ int, r *rand.Rand) error {
		id := docs.ID(r.IntN(max(b.cfg.Docs, 1)))
		got, err := b.st.Get(ctx, docs.Index, docs.Collection, []string{id})
		if err != nil {
			return err
		}
		if !got[0].Found {
			return fmt.Errorf("document %s not found", id)
		}
		return nil
	})
}

// search runs term searches on random cities, 10 hits a page, parsing each
// body as document:search does.
func (b *bench) search(ctx context.Context) (Phase, error) {
	return b.searchFrom(ctx, b.cfg.Window)
}

// searchFew runs the searches from LowWindow goroutines: latency when the
// store is not saturated.
func (b *bench) searchFew(ctx context.Context) (Phase, error) {
	return b.searchFrom(ctx, b.cfg.LowWindow)
}

func (b *bench) searchFrom(ctx context.Context, window int) (Phase, error) {
	return b.flood(window, func(_ int, r *rand.Rand) error {
		body := docs.AppendSearch(nil, r.IntN(docs.Cities))
		s, err := query.ParseSearch(jsonx.RawMessage(body), "elasticsearch", b.mappings)
		if err != nil {
			return err
		}
		s.Size = 10
		res, err := b.st.Search(ctx, docs.Index, docs.Collection, s)
		if err != nil {
			return err
		}
		if b.cfg.Docs >= 10*docs.Cities && len(res.Hits) != 10 {
			return fmt.Errorf("search %s: %d hits, want 10", body, len(res.Hits))
		}
		return nil
	})
}

// flood runs op from window goroutines, one call at a time each, until
// Duration or MaxOps, and records each call's latency.
func (b *bench) flood(window int, op func(i int, r *rand.Rand) error) (Phase, error) {
	var next, failed atomic.Int64
	var first atomic.Value
	hists := make([]hist.Histogram, window)
	deadline := time.Now().Add(b.cfg.Duration)
	var wg sync.WaitGroup
	for g := range window {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 42))
			for {
				i := int(next.Add(1)) - 1
				if i >= b.cfg.MaxOps || time.Now().After(deadline) {
					return
				}
				start := time.Now()
				if err := op(i, r); err != nil {
					failed.Add(1)
					first.CompareAndSwap(nil, err.Error())
					continue
				}
				hists[g].Record(time.Since(start))
			}
		})
	}
	wg.Wait()
	var all hist.Histogram
	for i := range hists {
		all.Merge(&hists[i])
	}
	p := Phase{Ops: int64(all.Count()), Errors: failed.Load(),
		P50: micros(all.Quantile(0.5)), P99: micros(all.Quantile(0.99)), P999: micros(all.Quantile(0.999))}
	if s, ok := first.Load().(string); ok {
		p.FirstError = s
	}
	if p.Ops == 0 && p.Errors > 0 {
		return p, errors.New(p.FirstError)
	}
	return p, nil
}

func micros(d time.Duration) float64 { return float64(d) / 1e3 }
