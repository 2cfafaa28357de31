package koncorde

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// gen draws filters and documents from a seed for the differential test,
// over a small vocabulary so that filters and documents meet often.
type gen struct {
	r *rand.Rand
}

func newGen(seed uint64) *gen { return &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

func (g *gen) pick(n int) int { return g.r.IntN(n) }

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

var (
	genFields  = []string{"a", "b", "c.d", "c", "name", "n"}
	genStrings = []string{"red", "blue", "green", "x-1", "abc", "Abc"}
	genNumbers = []float64{0, 1, 2, 3, 4, 5, 2.5, -1, 10}
	genRegexps = []string{"^a", "b", "^x-\\d$", "e+", "^(red|blue)$", "[A-Z]", "^$", "c$", "r.d"}
)

func (g *gen) field() string { return genFields[g.pick(len(genFields))] }

func (g *gen) scalar() any {
	switch g.pick(6) {
	case 0, 1:
		return genStrings[g.pick(len(genStrings))]
	case 2, 3:
		return genNumbers[g.pick(len(genNumbers))]
	case 4:
		return g.chance(0.5)
	}
	return nil
}

func (g *gen) str() string { return genStrings[g.pick(len(genStrings))] }

// filter draws a filter of at most depth levels of and/or/not/bool.
func (g *gen) filter(depth int) map[string]any {
	if depth > 0 && g.chance(0.45) {
		switch g.pick(5) {
		case 0, 1:
			op := []string{"and", "or"}[g.pick(2)]
			return map[string]any{op: g.list(depth-1, 2+g.pick(2))}
		case 2:
			return map[string]any{"not": g.filter(depth - 1)}
		case 3:
			return g.boolFilter(depth - 1)
		}
	}
	return g.leaf()
}

func (g *gen) list(depth, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = g.filter(depth)
	}
	return out
}

func (g *gen) boolFilter(depth int) map[string]any {
	b := map[string]any{}
	for _, k := range []string{"must", "must_not", "should", "should_not"} {
		if g.chance(0.5) {
			b[k] = g.list(depth, 1+g.pick(2))
		}
	}
	if len(b) == 0 {
		b["must"] = g.list(depth, 1)
	}
	return map[string]any{"bool": b}
}

func (g *gen) leaf() map[string]any {
	f := g.field()
	switch g.pick(16) {
	case 0, 1:
		return map[string]any{"equals": map[string]any{f: g.scalar()}}
	case 2:
		return map[string]any{"in": map[string]any{f: []any{g.str(), g.str()}}}
	case 3:
		return map[string]any{"ids": map[string]any{"values": []any{"id" + fmt.Sprint(g.pick(4))}}}
	case 4:
		if g.chance(0.5) {
			return map[string]any{"exists": fmt.Sprintf("tags[%s]", g.jsonScalar())}
		}
		return map[string]any{"exists": f}
	case 5:
		if g.chance(0.3) {
			return map[string]any{"missing": map[string]any{"field": f}}
		}
		return map[string]any{"missing": f}
	case 6, 7:
		return map[string]any{"range": map[string]any{f: g.bounds()}}
	case 8:
		re := genRegexps[g.pick(len(genRegexps))]
		if g.chance(0.4) {
			return map[string]any{"regexp": map[string]any{f: map[string]any{"value": re, "flags": []string{"i", "m", "s", "is"}[g.pick(4)]}}}
		}
		return map[string]any{"regexp": map[string]any{f: re}}
	case 9:
		return map[string]any{"match": g.matchValue()}
	case 10:
		return map[string]any{"select": map[string]any{"field": "tags", "index": float64(g.pick(4) - 2), "query": g.selectQuery()}}
	case 11:
		if g.chance(0.2) {
			return map[string]any{"nothing": true}
		}
		return g.invalid()
	}
	return g.geo()
}

func (g *gen) jsonScalar() string {
	switch v := g.scalar().(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case nil:
		return "null"
	default:
		return fmt.Sprint(v)
	}
}

func (g *gen) bounds() map[string]any {
	lo := genNumbers[g.pick(len(genNumbers))]
	b := map[string]any{}
	if g.chance(0.7) {
		b[[]string{"gt", "gte"}[g.pick(2)]] = lo
	}
	if len(b) == 0 || g.chance(0.6) {
		b[[]string{"lt", "lte"}[g.pick(2)]] = lo + float64(1+g.pick(5))
	}
	return b
}

func (g *gen) matchValue() map[string]any {
	switch g.pick(3) {
	case 0:
		return map[string]any{g.field(): g.scalar()}
	case 1:
		return map[string]any{"tags": []any{g.scalar()}}
	}
	return map[string]any{"c": map[string]any{"d": g.scalar()}}
}

func (g *gen) selectQuery() map[string]any {
	switch g.pick(3) {
	case 0:
		return map[string]any{"equals": map[string]any{"value": g.scalar()}}
	case 1:
		return map[string]any{"range": map[string]any{"value": g.bounds()}}
	}
	return map[string]any{"exists": "value"}
}

// Geo shapes live around (45, 5), where the documents' points are.
func (g *gen) geoPoint() (float64, float64) {
	return 44 + 2*g.r.Float64(), 4 + 2*g.r.Float64()
}

func (g *gen) pointValue(lat, lon float64) any {
	switch g.pick(5) {
	case 0:
		return fmt.Sprintf("%v, %v", lat, lon)
	case 1:
		return map[string]any{"lat": lat, "lon": lon}
	case 2:
		return map[string]any{"lat_lon": []any{lat, lon}}
	}
	return []any{lat, lon}
}

func (g *gen) geo() map[string]any {
	lat, lon := g.geoPoint()
	switch g.pick(4) {
	case 0:
		units := []string{"km", "m", "mi", " Km", "000m"}
		u := units[g.pick(len(units))]
		d := 10 + g.pick(90)
		if u == "m" || u == "000m" {
			d *= 1000
			u = "m"
		}
		return map[string]any{"geoDistance": map[string]any{"loc": g.pointValue(lat, lon), "distance": fmt.Sprint(d, u)}}
	case 1:
		w, h := 0.2+g.r.Float64(), 0.2+g.r.Float64()
		if g.chance(0.5) {
			return map[string]any{"geoBoundingBox": map[string]any{"loc": map[string]any{"top": lat + h, "left": lon, "bottom": lat, "right": lon + w}}}
		}
		return map[string]any{"geoBoundingBox": map[string]any{"loc": map[string]any{
			"top_left": []any{lat + h, lon}, "bottom_right": map[string]any{"lat": lat, "lon": lon + w}}}}
	case 2:
		from := 5 + g.pick(30)
		return map[string]any{"geoDistanceRange": map[string]any{"loc": g.pointValue(lat, lon),
			"from": fmt.Sprint(from, "km"), "to": fmt.Sprint(from+10+g.pick(60), "km")}}
	}
	n := 3 + g.pick(4)
	pts := make([]any, n)
	for i := range pts {
		// a star-shaped polygon: increasing angles around (lat, lon)
		a := 2 * 3.14159 * (float64(i) + g.r.Float64()*0.8) / float64(n)
		r := 0.2 + g.r.Float64()*0.8
		pts[i] = []any{lat + r*math.Sin(a), lon + r*math.Cos(a)}
	}
	return map[string]any{"geoPolygon": map[string]any{"loc": map[string]any{"points": pts}}}
}

// invalid draws a malformed filter, so that rejections are compared too.
func (g *gen) invalid() map[string]any {
	bad := []map[string]any{
		{"equals": map[string]any{"a": []any{1}}},
		{"range": map[string]any{"a": map[string]any{"gt": "1"}}},
		{"range": map[string]any{"a": map[string]any{"gt": 5, "lt": 1}}},
		{"in": map[string]any{"a": []any{1}}},
		{"and": []any{}},
		{"or": []any{map[string]any{}}},
		{"regexp": map[string]any{"a": "("}},
		{"exists": ""},
		{"geoDistance": map[string]any{"loc": []any{1, 2}, "distance": "far"}},
		{"unknown": map[string]any{}},
		{"bool": map[string]any{"maybe": []any{}}},
		{"select": map[string]any{"field": "a", "index": 1.5, "query": map[string]any{"exists": "value"}}},
		{"geoBoundingBox": map[string]any{"loc": map[string]any{"top": 1, "left": 1, "bottom": 2, "right": 2}}},
	}
	return bad[g.pick(len(bad))]
}

// document draws a document over the same vocabulary.
func (g *gen) document() map[string]any {
	d := map[string]any{}
	for _, f := range []string{"a", "b", "name", "n"} {
		if g.chance(0.7) {
			d[f] = g.docValue()
		}
	}
	if g.chance(0.6) {
		c := map[string]any{}
		if g.chance(0.8) {
			c["d"] = g.docValue()
		}
		d["c"] = c
	} else if g.chance(0.2) {
		d["c"] = g.docValue()
	}
	if g.chance(0.6) {
		tags := make([]any, g.pick(4))
		for i := range tags {
			tags[i] = g.scalar()
		}
		d["tags"] = tags
	}
	if g.chance(0.5) {
		d["_id"] = "id" + fmt.Sprint(g.pick(4))
	}
	if g.chance(0.8) {
		lat, lon := g.geoPoint()
		switch g.pick(10) {
		case 0:
			d["loc"] = "not a point"
		case 1:
			d["loc"] = 0.0
		default:
			d["loc"] = g.pointValue(lat, lon)
		}
	}
	return d
}

func (g *gen) docValue() any {
	if g.chance(0.1) {
		return []any{g.scalar(), g.scalar()}
	}
	if g.chance(0.3) {
		return genNumbers[g.pick(len(genNumbers))] + float64(g.pick(3))*0.5
	}
	return g.scalar()
}
