package main

import (
	"fmt"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/koncorde"
)

// benchSizes are the filter counts of the side-by-side run; pick one with
// -bench, e.g. -bench Test/range/10000.
var benchSizes = []int{10000, 100000}

// BenchmarkRegister registers each family's workload in a new engine.
func BenchmarkRegister(b *testing.B) {
	for _, fam := range Families {
		for _, n := range benchSizes {
			w := NewWorkload(fam, n, 1, 42)
			b.Run(fmt.Sprintf("%s/%d", fam, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					e := koncorde.New(koncorde.WithMaxConditions(100))
					for _, f := range w.Filters {
						if _, err := e.Register("index", "collection", f); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(w.Filters)), "ns/filter")
			})
		}
	}
}

func benchEngine(b *testing.B, fam string, n int) (*koncorde.Engine, Workload) {
	w := NewWorkload(fam, n, 500, 42)
	e := koncorde.New(koncorde.WithMaxConditions(100))
	for _, f := range w.Filters {
		if _, err := e.Register("index", "collection", f); err != nil {
			b.Fatal(err)
		}
	}
	return e, w
}

// BenchmarkTest matches decoded documents, as the side-by-side run does.
func BenchmarkTest(b *testing.B) {
	for _, fam := range Families {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("%s/%d", fam, n), func(b *testing.B) {
				e, w := benchEngine(b, fam, n)
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					e.Test("index", "collection", w.Docs[i%len(w.Docs)])
					i++
				}
			})
		}
	}
}

// BenchmarkTestJSON matches raw JSON documents.
func BenchmarkTestJSON(b *testing.B) {
	for _, fam := range Families {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("%s/%d", fam, n), func(b *testing.B) {
				e, w := benchEngine(b, fam, n)
				raw := make([][]byte, len(w.Docs))
				for i, d := range w.Docs {
					raw[i], _ = jsonx.Marshal(d)
				}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if _, err := e.TestJSON("index", "collection", raw[i%len(raw)]); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}
