package koncorde

import (
	"fmt"
	"github.com/starlingmq/starling/internal/jsonx"
	"math/rand/v2"
	"testing"
)

func benchEngine(b *testing.B, n int, filter func(r *rand.Rand) map[string]any) (*Engine, []map[string]any) {
	r := rand.New(rand.NewPCG(1, 2))
	e := New()
	for range n {
		if _, err := e.Register("i", "c", filter(r)); err != nil {
			b.Fatal(err)
		}
	}
	docs := make([]map[string]any, 256)
	for i := range docs {
		d := map[string]any{}
		for f := range 10 {
			d[fmt.Sprint("f", f)] = fmt.Sprint("v", r.IntN(n))
		}
		for f := range 5 {
			d[fmt.Sprint("r", f)] = r.Float64() * 1e6
		}
		d["loc"] = map[string]any{"lat": 43 + 6*r.Float64(), "lon": -1 + 8*r.Float64()}
		docs[i] = d
	}
	return e, docs
}

func BenchmarkTestEquals(b *testing.B) {
	e, docs := benchEngine(b, 10000, func(r *rand.Rand) map[string]any {
		return map[string]any{"equals": map[string]any{fmt.Sprint("f", r.IntN(10)): fmt.Sprint("v", r.IntN(10000))}}
	})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Test("i", "c", docs[i%len(docs)])
	}
}

func BenchmarkTestRange(b *testing.B) {
	e, docs := benchEngine(b, 10000, func(r *rand.Rand) map[string]any {
		lo := r.Float64() * 1e6
		return map[string]any{"range": map[string]any{fmt.Sprint("r", r.IntN(5)): map[string]any{"gte": lo, "lt": lo + 2000*r.Float64()}}}
	})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Test("i", "c", docs[i%len(docs)])
	}
}

func BenchmarkTestGeoPolygon(b *testing.B) {
	e, docs := benchEngine(b, 10000, func(r *rand.Rand) map[string]any {
		lat, lon := 43+6*r.Float64(), -1+8*r.Float64()
		return map[string]any{"geoPolygon": map[string]any{"loc": map[string]any{"points": []any{
			[]any{lat, lon}, []any{lat + 0.1, lon + 0.05}, []any{lat + 0.05, lon + 0.15}, []any{lat - 0.05, lon + 0.1}}}}}
	})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Test("i", "c", docs[i%len(docs)])
	}
}

func BenchmarkParseDocument(b *testing.B) {
	_, docs := benchEngine(b, 1, func(r *rand.Rand) map[string]any {
		return map[string]any{"exists": "x"}
	})
	raw := make([][]byte, len(docs))
	for i, d := range docs {
		raw[i], _ = jsonx.Marshal(d)
	}
	b.Run("flatten", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := ParseDocument(raw[i%len(raw)], ""); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			var m map[string]any
			if err := jsonx.Unmarshal(raw[i%len(raw)], &m); err != nil {
				b.Fatal(err)
			}
			NewDocument(m, "")
			i++
		}
	})
}
