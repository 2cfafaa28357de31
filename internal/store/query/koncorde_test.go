package query

import (
	"errors"
	"fmt"
	"math/rand"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/koncorde"
	"github.com/starlingmq/starling/internal/store/mapping"
)

// koncordeMappings maps every field the differential test uses: on
// scalar values of mapped fields, Elasticsearch's and Koncorde's
// semantics agree.
func koncordeMappings() *mapping.Mappings {
	return &mapping.Mappings{Properties: map[string]*mapping.Field{
		"k": {Type: "keyword"},
		"n": {Type: "double"},
		"o": {Properties: map[string]*mapping.Field{"k": {Type: "keyword"}}},
		"g": {Type: "geo_point"},
	}}
}

type konGen struct{ r *rand.Rand }

var konStrings = []string{"a", "b", "c", "A b"}

func (g konGen) str() string  { return konStrings[g.r.Intn(len(konStrings))] }
func (g konGen) num() float64 { return float64(g.r.Intn(7)) - 1 }

func (g konGen) doc() map[string]any {
	d := map[string]any{}
	if g.r.Intn(4) != 0 {
		d["k"] = g.str()
	}
	if g.r.Intn(4) != 0 {
		d["n"] = g.num() + []float64{0, 0.5}[g.r.Intn(2)]
	}
	if g.r.Intn(3) != 0 {
		d["o"] = map[string]any{"k": g.str()}
	}
	if g.r.Intn(4) != 0 {
		d["g"] = map[string]any{"lat": float64(g.r.Intn(5)), "lon": float64(g.r.Intn(5))}
	}
	return d
}

func (g konGen) filter(depth int) map[string]any {
	keyField := []string{"k", "o.k"}[g.r.Intn(2)]
	switch k := g.r.Intn(11); {
	case k < 2 && depth > 0:
		list := []any{g.filter(depth - 1), g.filter(depth - 1)}
		return map[string]any{[]string{"and", "or"}[k]: list}
	case k == 2 && depth > 0:
		return map[string]any{"not": g.filter(depth - 1)}
	case k == 3:
		if g.r.Intn(2) == 0 {
			return map[string]any{"equals": map[string]any{"n": g.num()}}
		}
		return map[string]any{"equals": map[string]any{keyField: g.str()}}
	case k == 4:
		return map[string]any{"in": map[string]any{keyField: []any{g.str(), g.str()}}}
	case k == 5:
		b := map[string]any{[]string{"gt", "gte"}[g.r.Intn(2)]: g.num(), []string{"lt", "lte"}[g.r.Intn(2)]: g.num() + 2}
		return map[string]any{"range": map[string]any{"n": b}}
	case k == 6:
		f := []string{"k", "o.k", "n", "o", "g"}[g.r.Intn(5)]
		kw := []string{"exists", "missing"}[g.r.Intn(2)]
		if g.r.Intn(2) == 0 {
			return map[string]any{kw: map[string]any{"field": f}}
		}
		return map[string]any{kw: f}
	case k == 7:
		return map[string]any{"ids": map[string]any{"values": []any{fmt.Sprintf("d%d", g.r.Intn(30)), fmt.Sprintf("d%d", g.r.Intn(30))}}}
	case k == 8:
		center := map[string]any{"lat": float64(g.r.Intn(5)), "lon": float64(g.r.Intn(5))}
		return map[string]any{"geoDistance": map[string]any{"g": center, "distance": []string{"50km", "150km", "300km"}[g.r.Intn(3)]}}
	case k == 9:
		top, left := float64(g.r.Intn(5))+0.5, float64(g.r.Intn(4))-0.5
		box := map[string]any{"top": top, "left": left, "bottom": top - 2, "right": left + 2}
		return map[string]any{"geoBoundingBox": map[string]any{"g": box}}
	}
	return map[string]any{"equals": map[string]any{keyField: g.str()}}
}

// TestKoncordeAgreesWithEngine checks lang "koncorde" against the
// real-time filter engine on random documents and filters within the
// domain where their semantics agree (scalar values of mapped fields,
// no null, no array, object geo points).
func TestKoncordeAgreesWithEngine(t *testing.T) {
	g := konGen{rand.New(rand.NewSource(7))}
	docs := make([]map[string]any, 60)
	for i := range docs {
		docs[i] = g.doc()
	}
	m := koncordeMappings()
	iterations := 2000
	if testing.Short() {
		iterations = 300
	}
	for i := 0; i < iterations; i++ {
		f := g.filter(3)
		raw := js(f)
		e := koncorde.New()
		fid, engineErr := e.Register("i", "c", f)
		n, err := ParseQuery(jsonx.RawMessage(raw), "koncorde", m)
		if err != nil {
			if errorID(engineErr) != errorID(err) {
				t.Fatalf("filter %s: engine %v, ParseQuery %v", raw, engineErr, err)
			}
			continue
		}
		if engineErr != nil {
			continue // Elasticsearch accepts more (an inverted range)
		}
		for j, d := range docs {
			id := fmt.Sprintf("d%d", j)
			engine := len(e.TestDocument("i", "c", koncorde.NewDocument(d, id))) > 0
			if got := Matches(n, d, id); got != engine {
				t.Fatalf("filter %s\ndocument %s %s\nMatches %v, engine %v (%s)", raw, id, js(d), got, engine, fid)
			}
		}
	}
}

func errorID(err error) string {
	var ke *kerror.Error
	if errors.As(err, &ke) {
		return ke.ID
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func TestKoncordeTranslation(t *testing.T) {
	cases := []struct {
		name, filter string
		yes, no      []string
	}{
		{"equals array (Elasticsearch semantics)", `{"equals":{"tag":"x"}}`, []string{`{"tag":["x","y"]}`}, []string{`{"tag":"y"}`}},
		{"exists with value", `{"exists":"tag[\"x\"]"}`, []string{`{"tag":["y","x"]}`}, []string{`{"tag":["y"]}`}},
		{"exists falsy value", `{"exists":{"field":"tag[0]"}}`, []string{`{"tag":"y"}`}, []string{`{}`}},
		{"missing", `{"missing":"tag"}`, []string{`{}`, `{"tag":null}`}, []string{`{"tag":"x"}`}},
		{"ES clause passes through", `{"and":[{"match":{"title":"fox"}},{"not":{"term":{"n":1}}}]}`, []string{`{"title":"The fox"}`}, []string{`{"title":"The fox","n":1}`}},
		{"geoDistanceRange", `{"geoDistanceRange":{"loc":{"lat":0,"lon":0},"from":"100km","to":"200km"}}`, []string{`{"loc":{"lat":0,"lon":1.5}}`}, []string{`{"loc":{"lat":0,"lon":0.5}}`, `{"loc":{"lat":0,"lon":2}}`}},
		{"geoPolygon", `{"geoPolygon":{"loc":{"points":[{"lat":0,"lon":0},{"lat":0,"lon":10},{"lat":10,"lon":0}]}}}`, []string{`{"loc":{"lat":1,"lon":1}}`}, []string{`{"loc":{"lat":6,"lon":6}}`}},
		{"empty", `{}`, []string{`{}`}, nil},
		{"range on dates", `{"range":{"born":{"gte":"2020-01-01"}}}`, []string{`{"born":"2020-02-01"}`}, []string{`{"born":"2019-02-01"}`}},
		{"inverted range", `{"range":{"n":{"gt":5,"lt":1}}}`, nil, []string{`{"n":3}`}},
	}
	m := testMappings()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n, err := ParseQuery(jsonx.RawMessage(tc.filter), "koncorde", m)
			if err != nil {
				t.Fatalf("parse %s: %v", tc.filter, err)
			}
			for _, d := range tc.yes {
				if !Matches(n, doc(t, d), "id") {
					t.Errorf("%s should match %s", tc.filter, d)
				}
			}
			for _, d := range tc.no {
				if Matches(n, doc(t, d), "id") {
					t.Errorf("%s should not match %s", tc.filter, d)
				}
			}
		})
	}
}
