package query

import (
	"strings"

	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/koncorde"
)

// koncorde translates a Koncorde filter as Kuzzle's queryTranslator does:
// and, or and not become bool queries (filter, should, must_not), equals
// a term, in a terms, missing a must_not exists, exists with a value
// ("tags[\"x\"]") an exists and a range on the value, the geo keywords
// their Elasticsearch twins; bool is refused
// (api.assert.koncorde_restricted_keyword) and any other keyword goes to
// the Elasticsearch parser unchanged, as Kuzzle hands it to
// Elasticsearch. Like Kuzzle, it accepts what Elasticsearch accepts
// (a range on dates, an inverted range) even where Koncorde would not; a
// Koncorde clause that cannot be translated is checked by the filter
// engine, so malformed ones fail with koncorde's messages
// (api.assert.koncorde_dsl_error).
func (p *parser) koncorde(filter map[string]any) (Node, error) {
	t := &translator{parser: p, engine: koncorde.New()}
	return t.translate(filter)
}

type translator struct {
	*parser
	engine *koncorde.Engine
}

func dslError(msg string) error {
	return kerror.WithMessage(msg, "api.assert.koncorde_dsl_error", msg)
}

func (t *translator) translate(v any) (Node, error) {
	key, body, err := single(v, "query")
	if err != nil {
		return nil, dslError("Filters must be objects with exactly one keyword")
	}
	switch key {
	case "and", "or":
		return t.operands(key, body)
	case "not":
		n, err := t.translate(body)
		if err != nil {
			return nil, err
		}
		return &Bool{MustNot: []Node{n}}, nil
	case "bool":
		return nil, kerror.New("api.assert.koncorde_restricted_keyword", "operator", "bool")
	}
	clause, ok := t.clauses()[key]
	if !ok {
		return t.query(v, "query")
	}
	n, err := clause(body)
	if err != nil {
		if verr := t.engine.Validate(map[string]any{key: body}); verr != nil {
			return nil, verr // koncorde's own message
		}
		return nil, err
	}
	return n, nil
}

func (t *translator) operands(key string, body any) (Node, error) {
	list, ok := body.([]any)
	if !ok || len(list) == 0 {
		if err := t.engine.Validate(map[string]any{key: body}); err != nil {
			return nil, err // koncorde's own message
		}
		return nil, dslError(`"` + key + `": must be a non-empty array`)
	}
	nodes := make([]Node, 0, len(list))
	for _, item := range list {
		n, err := t.translate(item)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
	if key == "and" {
		return &Bool{Filter: nodes}, nil
	}
	return &Bool{Should: nodes, MinShould: 1}, nil
}

func (t *translator) clauses() map[string]func(any) (Node, error) {
	es := func(name string, parse func(any, string) (Node, error)) func(any) (Node, error) {
		return func(v any) (Node, error) { return parse(v, name) }
	}
	return map[string]func(any) (Node, error){
		"equals":           es("term", t.term),
		"in":               es("terms", t.terms),
		"range":            es("range", t.rangeQuery),
		"ids":              es("ids", t.ids),
		"exists":           t.exists,
		"missing":          t.missing,
		"geoBoundingBox":   es("geo_bounding_box", t.geoBox),
		"geoDistance":      es("geo_distance", t.geoDistance),
		"geoDistanceRange": t.geoDistanceRange,
		"geoPolygon":       es("geo_polygon", t.geoPolygon),
	}
}

// existsField reads exists' and missing's argument: "path" or
// {"field": "path"}.
func existsField(v any) string {
	if obj, ok := v.(map[string]any); ok {
		v = obj["field"]
	}
	s, _ := v.(string)
	return s
}

func (t *translator) exists(v any) (Node, error) {
	name := existsField(v)
	open := strings.IndexByte(name, '[')
	if open < 0 {
		return &Exists{Field: resolveField(t.m, name)}, nil
	}
	close := strings.LastIndexByte(name, ']')
	if close < open {
		return nil, kerror.New("services.koncorde.elastic_translation_error", `Invalid exists path "`+name+`": missing closing bracket`)
	}
	value, err := decode([]byte(name[open+1 : close]))
	if err != nil {
		return nil, dslError(`Invalid exists path "` + name + `"`)
	}
	f := resolveField(t.m, name[:open])
	if !truthy(value) { // Kuzzle tests the value as JavaScript does
		return &Exists{Field: f}, nil
	}
	return &Bool{Filter: []Node{&Exists{Field: f}, &Range{Field: f, GTE: value, LTE: value}}}, nil
}

func (t *translator) missing(v any) (Node, error) {
	n, err := t.exists(v)
	if err != nil {
		return nil, err
	}
	return &Bool{MustNot: []Node{n}}, nil
}

// geoDistanceRange matches points between from and to (both included).
func (t *translator) geoDistanceRange(v any) (Node, error) {
	obj, _ := v.(map[string]any)
	body := map[string]any{}
	for k, val := range obj {
		if k != "from" && k != "to" {
			body[k] = val
		}
	}
	body["distance"] = obj["to"]
	to, err := t.geoDistance(body, "geoDistanceRange")
	if err != nil {
		return nil, err
	}
	body["distance"] = obj["from"]
	from, err := t.geoDistance(body, "geoDistanceRange")
	if err != nil {
		return nil, err
	}
	return &Bool{Filter: []Node{to}, MustNot: []Node{strictly(from.(*GeoDistance))}}, nil
}

// strictly shrinks a distance query so that its boundary is excluded.
func strictly(g *GeoDistance) *GeoDistance {
	c := *g
	c.Meters = g.Meters * (1 - 1e-12)
	return &c
}

// truthy is JavaScript's truthiness of a decoded JSON value.
func truthy(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case bool:
		return t
	case float64:
		return t != 0
	case string:
		return t != ""
	}
	return true
}
