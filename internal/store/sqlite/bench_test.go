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
