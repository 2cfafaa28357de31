package sqlite_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/mapping"
)

// BenchmarkCreate writes one document per call from 64 goroutines, as
// document:create requests do: every write is committed (group commit)
// before it returns.
func BenchmarkCreate(b *testing.B) {
	ctx := context.Background()
	e := open(b, b.TempDir())
	defer e.Close()
	m, err := mapping.Parse([]byte(`{"properties":{"city":{"type":"keyword"},"age":{"type":"integer"}}}`))
	if err != nil {
		b.Fatal(err)
	}
	if err := e.CreateCollection(ctx, "i", "c", m, nil); err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	b.SetParallelism(64 / max(1, testingProcs()))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			body := fmt.Appendf(nil, `{"name":"user-%d","age":%d,"city":"city-%d","tags":["a","b"],"score":3.14}`, i, i%90, i%1000)
			res, err := e.Write(ctx, "i", "c", []store.Op{{Kind: store.OpCreate, Body: body, User: "-1"}})
			if err != nil || res[0].Err != nil {
				b.Errorf("create: %v %v", err, res)
				return
			}
		}
	})
	b.StopTimer()
	commits, writes := e.WriterStats()
	b.ReportMetric(float64(writes)/float64(max(commits, 1)), "writes/commit")
}

func testingProcs() int { return runtime.GOMAXPROCS(0) }

// BenchmarkGet reads one document by id from parallel goroutines, out of
// 10,000.
func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	e := open(b, b.TempDir())
	defer e.Close()
	if err := e.CreateCollection(ctx, "i", "c", nil, nil); err != nil {
		b.Fatal(err)
	}
	const n = 10000
	for start := 0; start < n; start += 500 {
		ops := make([]store.Op, 500)
		for i := range ops {
			ops[i] = store.Op{Kind: store.OpCreate, ID: fmt.Sprintf("d%d", start+i), Body: []byte(`{"name":"x","age":1}`)}
		}
		if _, err := e.Write(ctx, "i", "c", ops); err != nil {
			b.Fatal(err)
		}
	}
	var i atomic.Int64
	b.SetParallelism(32) // 64 goroutines on two CPUs, as 64 requests in flight
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("d%d", i.Add(7919)%n)
			docs, err := e.Get(ctx, "i", "c", []string{id})
			if err != nil || !docs[0].Found {
				b.Errorf("get %s: %v", id, err)
				return
			}
		}
	})
}
