package main

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Workload is one benchmark case: filters of one keyword family and the
// documents tested against them.
type Workload struct {
	Family  string
	Filters []map[string]any
	Docs    []map[string]any
}

// Families lists the keyword families, in report order.
var Families = []string{"equals", "in", "range", "exists", "geo", "geoPolygon", "regexp", "bool"}

// NewWorkload draws n filters of a family and docs documents from a seed.
func NewWorkload(family string, n, docs int, seed uint64) Workload {
	r := rand.New(rand.NewPCG(seed, uint64(n)))
	w := Workload{Family: family}
	for range n {
		w.Filters = append(w.Filters, newFilter(family, r, n))
	}
	for range docs {
		w.Docs = append(w.Docs, newDoc(r, n))
	}
	return w
}

func str(prefix string, i int) string { return fmt.Sprintf("%s%d", prefix, i) }

// lat/lon of a region about the size of France.
func geoPoint(r *rand.Rand) (float64, float64) { return 43 + 6*r.Float64(), -1 + 8*r.Float64() }

func newFilter(family string, r *rand.Rand, n int) map[string]any {
	field := str("f", r.IntN(10))
	switch family {
	case "equals":
		return map[string]any{"equals": map[string]any{field: str("v", r.IntN(n))}}
	case "in":
		vals := make([]any, 5)
		for i := range vals {
			vals[i] = str("v", r.IntN(n))
		}
		return map[string]any{"in": map[string]any{field: vals}}
	case "range":
		lo := r.Float64() * 1e6
		return map[string]any{"range": map[string]any{str("r", r.IntN(5)): map[string]any{"gte": lo, "lt": lo + 1 + r.Float64()*2000}}}
	case "exists":
		return map[string]any{"exists": str("e", r.IntN(n))}
	case "geo":
		lat, lon := geoPoint(r)
		if r.IntN(2) == 0 {
			return map[string]any{"geoDistance": map[string]any{"loc": []any{lat, lon}, "distance": fmt.Sprintf("%dkm", 1+r.IntN(20))}}
		}
		d := 0.02 + 0.2*r.Float64()
		return map[string]any{"geoBoundingBox": map[string]any{"loc": map[string]any{"top": lat + d, "left": lon, "bottom": lat, "right": lon + d}}}
	case "geoPolygon":
		lat, lon := geoPoint(r)
		pts := make([]any, 6)
		for i := range pts {
			a := 2 * math.Pi * float64(i) / 6
			rad := 0.05 + 0.1*r.Float64()
			pts[i] = []any{lat + rad*math.Sin(a), lon + rad*math.Cos(a)}
		}
		return map[string]any{"geoPolygon": map[string]any{"loc": map[string]any{"points": pts}}}
	case "regexp":
		k := r.IntN(n)
		if r.IntN(4) == 0 {
			return map[string]any{"regexp": map[string]any{"name": fmt.Sprintf("^user-%d-[a-z]+$", k)}}
		}
		return map[string]any{"regexp": map[string]any{"name": fmt.Sprintf("^user-%d-", k)}}
	}
	return map[string]any{"bool": map[string]any{
		"must":     []any{map[string]any{"equals": map[string]any{field: str("v", r.IntN(n))}}},
		"must_not": []any{map[string]any{"range": map[string]any{"r0": map[string]any{"gte": r.Float64() * 1e6}}}},
		"should": []any{
			map[string]any{"exists": str("e", r.IntN(n))},
			map[string]any{"in": map[string]any{"f0": []any{str("v", r.IntN(n)), str("v", r.IntN(n))}}},
		},
	}}
}

func newDoc(r *rand.Rand, n int) map[string]any {
	d := map[string]any{}
	for i := range 10 {
		d[str("f", i)] = str("v", r.IntN(n))
	}
	for i := range 5 {
		d[str("r", i)] = r.Float64() * 1e6
	}
	for range 5 {
		d[str("e", r.IntN(n))] = true
	}
	lat, lon := geoPoint(r)
	d["loc"] = map[string]any{"lat": lat, "lon": lon}
	d["name"] = fmt.Sprintf("user-%d-abc", r.IntN(n))
	return d
}
