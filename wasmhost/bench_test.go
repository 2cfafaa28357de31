package wasmhost_test

import (
	"context"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/koncorde"
	"github.com/starlingmq/starling/wasmhost"
)

// BenchmarkHandleEmpty measures the host's overhead per call: an action
// that returns null, request already parsed, one goroutine.
func BenchmarkHandleEmpty(b *testing.B) {
	for _, l := range languages {
		b.Run(l.name, func(b *testing.B) {
			h := newHost(b, wasmhost.Config{Limits: wasmhost.Limits{PoolSize: 1}}, nil)
			m := load(b, h, "empty", l.build(b, l.empty))
			req := request(b, `{"controller":"empty/bench","action":"empty","requestId":"r"}`)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, kerr := m.Handle(ctx, req); kerr != nil {
					b.Fatal(kerr)
				}
			}
		})
	}
}

// BenchmarkHandleGeofence measures a call that reads its body: the
// geofence example's check of a point inside the fence (no API call).
func BenchmarkHandleGeofence(b *testing.B) {
	for _, l := range languages {
		b.Run(l.name, func(b *testing.B) {
			h := newHost(b, wasmhost.Config{Limits: wasmhost.Limits{PoolSize: 1}}, nil)
			m := load(b, h, "geofence", l.build(b, l.geofence))
			req := request(b, `{"controller":"geofence/geofence","action":"check","requestId":"6b3e1f2a-6a55-4a8e-9d57-3f1c2b7d9e01",`+
				`"body":{"lat":43.6,"lon":1.44}}`)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, kerr := m.Handle(ctx, req); kerr != nil {
					b.Fatal(kerr)
				}
			}
		})
	}
}

// BenchmarkFilter compares the geofence Wasm filter with Koncorde's
// built-in geoDistance on the same documents, JSON in.
func BenchmarkFilter(b *testing.B) {
	docs := [][]byte{
		[]byte(`{"name":"capitole","location":{"lat":43.6,"lon":1.44}}`),
		[]byte(`{"name":"marseille","location":{"lat":43.3,"lon":5.37}}`),
	}
	b.Run("wasm", func(b *testing.B) {
		h := newHost(b, wasmhost.Config{Limits: wasmhost.Limits{PoolSize: 1}}, nil)
		load(b, h, "geofence-filter", buildC(b, "../examples/geofence-filter/geofence_filter.c"))
		f, err := h.Filter("geofence-filter", "near", jsonx.RawMessage(`{"lat":43.6045,"lon":1.444,"distance":5000}`))
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := f.Test(ctx, docs[i&1]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("wasm-trivial", func(b *testing.B) { // host overhead of a filter call
		h := newHost(b, wasmhost.Config{Limits: wasmhost.Limits{PoolSize: 1}}, nil)
		faultsModule(b, h)
		f, err := h.Filter("faults", "even", nil)
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := f.Test(ctx, []byte(`{"n":2}`)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("builtin", func(b *testing.B) {
		e := koncorde.New()
		filter := map[string]any{"geoDistance": map[string]any{
			"location": map[string]any{"lat": 43.6045, "lon": 1.444}, "distance": "5km"}}
		if _, err := e.Register("i", "c", filter); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := e.TestJSON("i", "c", docs[i&1]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
