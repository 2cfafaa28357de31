package query

import (
	"fmt"
	"math/rand"
	"strings"

	"github.com/starlingmq/starling/internal/jsonx"
)

// gen draws random documents and queries over a small vocabulary, so that
// queries often match.
type gen struct{ r *rand.Rand }

var (
	genStrings = []string{"a", "b", "Red", "red car", "5", "true", "x y", "[z", "Élan vital", "quick brown fox", "", "it's", `{"a":1}`}
	genNumbers = []float64{0, 1, 2, 5, -1, 2.5, 1577923200000}
	genDates   = []any{"2020-01-02", "2020-01-02T10:00:00Z", 1577923200000.0, "2021-06-01T00:00:00+02:00"}
	genFields  = []string{"it's", "tag", "title", "title.raw", "n", "price", "born", "active", "address.city", "d", "d.keyword", "obj.x", "obj.y.z", "loc"}
)

func (g gen) pick(n int) int { return g.r.Intn(n) }

func (g gen) scalar() any {
	switch g.pick(4) {
	case 0:
		return genStrings[g.pick(len(genStrings))]
	case 1:
		return genNumbers[g.pick(len(genNumbers))]
	case 2:
		return g.pick(2) == 0
	}
	return genStrings[g.pick(len(genStrings))]
}

// value is a scalar, null, or an array of them.
func (g gen) value(leaf func() any) any {
	switch g.pick(6) {
	case 0:
		return nil
	case 1:
		return []any{leaf(), leaf()}
	case 2:
		return []any{}
	case 3:
		switch g.pick(4) {
		case 0:
			return []any{[]any{leaf()}, map[string]any{"x": leaf()}}
		case 1: // nested deeper than PostgresDialect's JSON path query walks
			return []any{leaf(), []any{[]any{[]any{leaf(), []any{leaf()}}}}}
		}
	}
	return leaf()
}

func (g gen) doc() map[string]any {
	d := map[string]any{}
	put := func(k string, v any) {
		if g.pick(4) != 0 {
			d[k] = v
		}
	}
	put("tag", g.value(g.scalar))
	put("title", g.value(func() any { return genStrings[g.pick(len(genStrings))] }))
	put("n", g.value(func() any { return genNumbers[g.pick(len(genNumbers))] }))
	put("price", g.value(func() any { return genNumbers[g.pick(len(genNumbers))] }))
	put("born", g.value(func() any { return genDates[g.pick(len(genDates))] }))
	put("active", g.value(func() any { return g.pick(2) == 0 }))
	put("address", map[string]any{"city": g.value(g.scalar)})
	put("d", g.value(g.scalar))
	put("it's", g.value(g.scalar))
	obj := func() any { return map[string]any{"x": g.value(g.scalar), "y": map[string]any{"z": g.value(g.scalar)}} }
	put("obj", g.value(obj))
	put("loc", map[string]any{"lat": float64(g.pick(5)), "lon": float64(g.pick(5))})
	return d
}

func (g gen) field() string { return genFields[g.pick(len(genFields))] }

func js(v any) string {
	b, err := jsonx.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// query returns a random Elasticsearch query, depth bounding bool nesting.
func (g gen) query(depth int) string {
	f := g.field()
	q := func() string { return js(g.scalar()) }
	str := func() string { return js(genStrings[g.pick(len(genStrings))]) }
	switch k := g.pick(14); {
	case k == 0 && depth > 0:
		var parts []string
		for _, key := range []string{"must", "filter", "should", "must_not"} {
			if g.pick(2) == 0 {
				parts = append(parts, fmt.Sprintf(`"%s":[%s,%s]`, key, g.query(depth-1), g.query(depth-1)))
			}
		}
		if g.pick(3) == 0 {
			parts = append(parts, fmt.Sprintf(`"minimum_should_match":%d`, g.pick(3)))
		}
		return `{"bool":{` + strings.Join(parts, ",") + `}}`
	case k == 1:
		return fmt.Sprintf(`{"term":{%q:%s}}`, f, q())
	case k == 2:
		return fmt.Sprintf(`{"terms":{%q:[%s,%s]}}`, f, q(), q())
	case k == 3:
		b := []string{"gt", "gte", "lt", "lte"}
		return fmt.Sprintf(`{"range":{%q:{%q:%s,%q:%s}}}`, f, b[g.pick(2)], q(), b[2+g.pick(2)], q())
	case k == 4:
		return fmt.Sprintf(`{"exists":{"field":%q}}`, f)
	case k == 5:
		return fmt.Sprintf(`{"prefix":{%q:%s}}`, f, js([]string{"", "r", "R", "qu", "5", "tr", "é"}[g.pick(7)]))
	case k == 6:
		return fmt.Sprintf(`{"wildcard":{%q:%s}}`, f, js([]string{"R*", "*a*", "re?", "q*k"}[g.pick(4)]))
	case k == 7:
		return fmt.Sprintf(`{"regexp":{%q:%s}}`, f, js([]string{"re.*", "[ab]", "qu.ck", ".*"}[g.pick(4)]))
	case k == 8:
		return fmt.Sprintf(`{"match":{%q:{"query":%s,"operator":%q}}}`, f, str(), []string{"or", "and"}[g.pick(2)])
	case k == 9:
		return fmt.Sprintf(`{"match_phrase":{%q:%s}}`, f, str())
	case k == 10:
		return fmt.Sprintf(`{"multi_match":{"query":%s,"fields":[%q,%q]}}`, str(), f, g.field())
	case k == 11:
		return fmt.Sprintf(`{"ids":{"values":["d%d","d%d"]}}`, g.pick(20), g.pick(20))
	case k == 12:
		return fmt.Sprintf(`{"geo_distance":{"distance":"200km","loc":{"lat":%d,"lon":%d}}}`, g.pick(5), g.pick(5))
	}
	return `{"match_all":{}}`
}
