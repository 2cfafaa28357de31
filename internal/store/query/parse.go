package query

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store/mapping"
)

// ParseQuery parses a bare query object in lang "elasticsearch" (or "")
// or "koncorde". An absent, null or empty query matches all documents.
// Errors are *kerror.Error values: an unsupported query type is
// services.storage.unknown_query_keyword, an unsupported option of a query
// services.storage.invalid_query_keyword naming it, a malformed value
// services.storage.invalid_argument; lang "koncorde" adds Koncorde's own
// errors (see ParseQuery's koncorde translation).
func ParseQuery(raw jsonx.RawMessage, lang string, m *mapping.Mappings) (Node, error) {
	if len(strings.TrimSpace(string(raw))) == 0 {
		return MatchAll{}, nil
	}
	v, err := decode(raw)
	if err != nil {
		return nil, kerror.New("services.storage.invalid_argument", "query", "a JSON object")
	}
	return parseQueryValue(v, lang, m)
}

func parseQueryValue(v any, lang string, m *mapping.Mappings) (Node, error) {
	if v == nil {
		return MatchAll{}, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, kerror.New("services.storage.invalid_argument", "query", "an object")
	}
	if len(obj) == 0 {
		return MatchAll{}, nil
	}
	p := &parser{m: m}
	switch lang {
	case "", "elasticsearch":
		return p.query(obj, "query")
	case "koncorde":
		return p.koncorde(obj)
	default:
		return nil, kerror.New("api.assert.invalid_argument", "lang", `"elasticsearch" or "koncorde"`)
	}
}

// parser parses one query against a collection's mappings.
type parser struct{ m *mapping.Mappings }

// invalid is the error of a malformed value at path.
func invalid(path, expected string) error {
	return kerror.New("services.storage.invalid_argument", path, expected)
}

// unknownKeyword is the error of a keyword outside the supported subset:
// a query type is reported as Kuzzle reports Elasticsearch's "no [query]
// registered" (services.storage.unknown_query_keyword), an option of a
// query as services.storage.invalid_query_keyword naming its path.
func unknownKeyword(key, path string) error {
	if path == "" {
		return kerror.New("services.storage.unknown_query_keyword", key)
	}
	return kerror.New("services.storage.invalid_query_keyword", path+"."+key)
}

// single returns the only key and value of an object.
func single(v any, path string) (string, any, error) {
	obj, ok := v.(map[string]any)
	if !ok || len(obj) != 1 {
		return "", nil, invalid(path, "an object with exactly one key")
	}
	for k, val := range obj {
		return k, val, nil
	}
	return "", nil, nil
}

// query parses one query clause.
func (p *parser) query(v any, path string) (Node, error) {
	if obj, ok := v.(map[string]any); ok && len(obj) == 0 {
		return MatchAll{}, nil
	}
	key, body, err := single(v, path)
	if err != nil {
		return nil, err
	}
	parse := p.clause(key)
	if parse == nil {
		return nil, unknownKeyword(key, "")
	}
	return parse(body, key)
}

// clause returns the parser of a query type, nil for an unknown one.
func (p *parser) clause(key string) func(any, string) (Node, error) {
	switch key {
	case "match_all":
		return p.matchAll
	case "match_none":
		return p.matchNone
	case "match", "match_phrase":
		return p.match
	case "multi_match":
		return p.multiMatch
	case "term":
		return p.term
	case "terms":
		return p.terms
	case "ids":
		return p.ids
	case "range":
		return p.rangeQuery
	case "exists":
		return p.exists
	case "prefix":
		return p.prefix
	case "wildcard", "regexp":
		return p.pattern
	case "bool":
		return p.boolQuery
	case "constant_score":
		return p.constantScore
	case "geo_distance":
		return p.geoDistance
	case "geo_bounding_box":
		return p.geoBox
	case "geo_polygon":
		return p.geoPolygon
	}
	return nil
}

// options checks an object's keys against the allowed ones.
func options(obj map[string]any, path string, allowed ...string) error {
	for _, k := range sortedKeys(obj) {
		found := false
		for _, a := range allowed {
			found = found || a == k
		}
		if !found {
			return unknownKeyword(k, path)
		}
	}
	return nil
}

func (p *parser) matchAll(v any, path string) (Node, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalid(path, "an object")
	}
	return MatchAll{}, options(obj, path, "boost", "_name")
}

func (p *parser) matchNone(v any, path string) (Node, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalid(path, "an object")
	}
	return MatchNone{}, options(obj, path, "boost", "_name")
}

// fieldAndOptions reads {field: value} or {field: {key: value, ...}},
// the form of term, match, prefix, wildcard and regexp, with the option
// key holding the value in the long form.
func fieldAndOptions(v any, path, valueKey string, allowed ...string) (string, map[string]any, error) {
	name, body, err := single(v, path)
	if err != nil {
		return "", nil, err
	}
	obj, ok := body.(map[string]any)
	if !ok {
		return name, map[string]any{valueKey: body}, nil
	}
	if err := options(obj, path+"."+name, append(allowed, valueKey, "boost", "_name")...); err != nil {
		return "", nil, err
	}
	if _, ok := obj[valueKey]; !ok {
		return "", nil, invalid(path+"."+name, "an object with "+valueKey)
	}
	return name, obj, nil
}

// scalar checks a query value is a string, a number or a boolean.
func scalar(v any, path string) (any, error) {
	switch v.(type) {
	case string, float64, bool:
		return v, nil
	}
	return nil, invalid(path, "a string, a number or a boolean")
}

func (p *parser) match(v any, path string) (Node, error) {
	phrase := path == "match_phrase"
	allowed := []string{"operator", "zero_terms_query"}
	if phrase {
		allowed = []string{"zero_terms_query"}
	}
	name, obj, err := fieldAndOptions(v, path, "query", allowed...)
	if err != nil {
		return nil, err
	}
	q, err := scalar(obj["query"], path+"."+name)
	if err != nil {
		return nil, err
	}
	and, err := operator(obj["operator"], path+"."+name)
	if err != nil {
		return nil, err
	}
	m := newMatch([]Field{resolveField(p.m, name)}, q, and, phrase)
	switch z := obj["zero_terms_query"]; z {
	case nil, "none":
	case "all":
		m.ZeroTermsAll = true
	default:
		return nil, invalid(path+"."+name+".zero_terms_query", `"none" or "all"`)
	}
	return m, nil
}

// operator reads a match operator: "or" (default) or "and".
func operator(v any, path string) (bool, error) {
	switch s, _ := v.(string); {
	case v == nil || strings.EqualFold(s, "or"):
		return false, nil
	case strings.EqualFold(s, "and"):
		return true, nil
	}
	return false, invalid(path+".operator", `"or" or "and"`)
}

func newMatch(fields []Field, q any, and, phrase bool) *Match {
	s, _ := q.(string)
	if s == "" {
		s = formatScalar(q)
	}
	return &Match{Fields: fields, Query: q, And: and, Phrase: phrase, tokens: analyze(s)}
}

func (p *parser) multiMatch(v any, path string) (Node, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalid(path, "an object")
	}
	if err := options(obj, path, "query", "fields", "type", "operator", "boost", "_name"); err != nil {
		return nil, err
	}
	q, err := scalar(obj["query"], path+".query")
	if err != nil {
		return nil, err
	}
	and, err := operator(obj["operator"], path)
	if err != nil {
		return nil, err
	}
	list, _ := obj["fields"].([]any)
	if len(list) == 0 {
		return nil, invalid(path+".fields", "a non-empty array of field names")
	}
	fields := make([]Field, 0, len(list))
	for _, f := range list {
		s, ok := f.(string)
		if !ok || s == "" || strings.ContainsAny(s, "*") {
			return nil, invalid(path+".fields", "field names without wildcard")
		}
		if i := strings.IndexByte(s, '^'); i >= 0 {
			s = s[:i]
		}
		fields = append(fields, resolveField(p.m, s))
	}
	phrase := false
	switch t := obj["type"]; t {
	case nil, "best_fields", "most_fields":
	case "phrase":
		phrase = true
	default:
		return nil, invalid(path+".type", `"best_fields", "most_fields" or "phrase"`)
	}
	return newMatch(fields, q, and, phrase), nil
}

func (p *parser) term(v any, path string) (Node, error) {
	name, obj, err := fieldAndOptions(v, path, "value")
	if err != nil {
		return nil, err
	}
	val, err := scalar(obj["value"], path+"."+name)
	if err != nil {
		return nil, err
	}
	if err := p.typed(name, val, "", path+"."+name); err != nil {
		return nil, err
	}
	return p.termNode(name, []any{val}), nil
}

// termNode builds a term query; on _id it is an ids query.
func (p *parser) termNode(name string, values []any) Node {
	if name == "_id" {
		ids := &IDs{}
		for _, v := range values {
			ids.Values = append(ids.Values, formatScalar(v))
		}
		return ids
	}
	f := resolveField(p.m, name)
	if f.Kind == KindDate {
		values = append([]any(nil), values...)
		for i, v := range values {
			values[i] = dateBound(v, f.Format, time.UTC)
		}
	}
	return &Term{Field: f, Values: values}
}

// dateBound converts a query's date to epoch milliseconds, or leaves it
// as is when it cannot be parsed (it then matches nothing).
func dateBound(v any, format string, loc *time.Location) any {
	if ms, ok := dateIn(v, format, loc); ok {
		return float64(ms)
	}
	return v
}

// typed checks a query value against a numeric, date or boolean field,
// which Elasticsearch fails to parse otherwise.
func (p *parser) typed(name string, v any, format, path string) error {
	f := resolveField(p.m, name)
	if format == "" {
		format = f.Format
	}
	var ok bool
	var expected string
	switch f.Kind {
	case KindNumber:
		_, ok = numberOf(v)
		expected = "a number"
	case KindDate:
		_, ok = dateOf(v, format)
		expected = "a date"
	case KindBool:
		_, ok = boolOf(v)
		expected = "a boolean"
	default:
		return nil
	}
	if !ok {
		return invalid(path, expected)
	}
	return nil
}

func (p *parser) terms(v any, path string) (Node, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalid(path, "an object")
	}
	var name string
	var list []any
	for k, val := range obj {
		if k == "boost" || k == "_name" {
			continue
		}
		if name != "" {
			return nil, invalid(path, "one field")
		}
		l, ok := val.([]any)
		if !ok {
			return nil, invalid(path+"."+k, "an array of values")
		}
		name, list = k, l
	}
	if name == "" {
		return nil, invalid(path, "one field")
	}
	for _, val := range list {
		if _, err := scalar(val, path+"."+name); err != nil {
			return nil, err
		}
		if err := p.typed(name, val, "", path+"."+name); err != nil {
			return nil, err
		}
	}
	return p.termNode(name, list), nil
}

func (p *parser) ids(v any, path string) (Node, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalid(path, "an object")
	}
	if err := options(obj, path, "values", "boost", "_name", "type"); err != nil {
		return nil, err
	}
	list, ok := obj["values"].([]any)
	if !ok {
		return nil, invalid(path+".values", "an array of ids")
	}
	return p.termNode("_id", list), nil
}

func (p *parser) exists(v any, path string) (Node, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalid(path, "an object")
	}
	if err := options(obj, path, "field", "boost", "_name"); err != nil {
		return nil, err
	}
	name, ok := obj["field"].(string)
	if !ok || name == "" {
		return nil, invalid(path+".field", "a field name")
	}
	return &Exists{Field: resolveField(p.m, name)}, nil
}

func (p *parser) rangeQuery(v any, path string) (Node, error) {
	name, body, err := single(v, path)
	if err != nil {
		return nil, err
	}
	obj, ok := body.(map[string]any)
	if !ok {
		return nil, invalid(path+"."+name, "an object of bounds")
	}
	sub := path + "." + name
	if err := options(obj, sub, "gt", "gte", "lt", "lte", "format", "boost", "_name", "time_zone", "relation"); err != nil {
		return nil, err
	}
	r := &Range{Field: resolveField(p.m, name), GT: obj["gt"], GTE: obj["gte"], LT: obj["lt"], LTE: obj["lte"]}
	r.Format, _ = obj["format"].(string)
	loc := time.UTC
	if tz, ok := obj["time_zone"]; ok {
		s, _ := tz.(string)
		if loc, err = parseZone(s); err != nil || s == "" {
			return nil, invalid(sub+".time_zone", `a time zone such as "+01:00" or "Europe/Paris"`)
		}
	}
	for _, b := range []*any{&r.GT, &r.GTE, &r.LT, &r.LTE} {
		if *b == nil {
			continue
		}
		if _, err := scalar(*b, sub); err != nil {
			return nil, err
		}
		if err := p.typed(name, *b, r.Format, sub); err != nil {
			return nil, err
		}
		if r.Field.Kind == KindDate {
			format := r.Format
			if format == "" {
				format = r.Field.Format
			}
			*b = dateBound(*b, format, loc)
		}
	}
	if r.Field.Kind == KindDate {
		r.Format = "" // the bounds are epoch milliseconds now
	}
	return r, nil
}

func (p *parser) prefix(v any, path string) (Node, error) {
	name, obj, err := fieldAndOptions(v, path, "value", "rewrite")
	if err != nil {
		return nil, err
	}
	s, ok := obj["value"].(string)
	if !ok {
		return nil, invalid(path+"."+name, "a string")
	}
	return &Prefix{Field: resolveField(p.m, name), Value: s}, nil
}

func (p *parser) pattern(v any, path string) (Node, error) {
	wildcard := path == "wildcard"
	key, allowed := "value", []string{"flags", "max_determinized_states", "rewrite"}
	if wildcard {
		allowed = []string{"rewrite", "wildcard"}
	}
	name, body, err := single(v, path)
	if err != nil {
		return nil, err
	}
	if obj, ok := body.(map[string]any); ok && wildcard && obj["value"] == nil && obj["wildcard"] != nil {
		key = "wildcard"
	}
	name, obj, err := fieldAndOptions(map[string]any{name: body}, path, key, allowed...)
	if err != nil {
		return nil, err
	}
	s, ok := obj[key].(string)
	if !ok {
		return nil, invalid(path+"."+name, "a string")
	}
	pt := &Pattern{Field: resolveField(p.m, name), Source: s, Wildcard: wildcard}
	if wildcard {
		pt.re, pt.literal = compileWildcard(s)
		return pt, nil
	}
	pt.re, pt.literal, err = compileLucene(s)
	if err != nil {
		return nil, invalid(path+"."+name, fmt.Sprintf("a supported regular expression (%v)", err))
	}
	return pt, nil
}

// sortedKeys returns an object's keys in order, for deterministic errors.
func sortedKeys(obj map[string]any) []string {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
