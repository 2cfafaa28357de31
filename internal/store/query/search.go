package query

import (
	"strings"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store/mapping"
)

// searchKeys are the root keys Kuzzle lets through to Elasticsearch; the
// others are services.storage.invalid_search_query. Those Starling does
// not implement are services.storage.invalid_query_keyword.
var searchKeys = map[string]bool{
	"aggregations": true, "aggs": true, "from": true, "query": true, "search_after": true,
	"size": true, "sort": true, "_source": true, "_source_includes": true, "_source_excludes": true,
	"search_timeout": true, "_name": true, "explain": true,
	"collapse": false, "fields": false, "highlight": false, "post_filter": false, "suggest": false,
}

// ParseSearch parses a document:search body: query (in lang, see
// ParseQuery), sort, aggregations (or aggs), _source, search_after, from
// and size. An empty body matches all documents. Size is -1 when the body
// has none; the caller overrides from, size and scroll from the request's
// arguments as Kuzzle does.
func ParseSearch(body jsonx.RawMessage, lang string, m *mapping.Mappings) (*Search, error) {
	s := &Search{Query: MatchAll{}, Size: -1}
	if len(strings.TrimSpace(string(body))) == 0 {
		return s, nil
	}
	v, err := decode(body)
	if err != nil {
		return nil, kerror.New("services.storage.invalid_argument", "body", "a JSON object")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		if v == nil {
			return s, nil
		}
		return nil, kerror.New("services.storage.invalid_argument", "body", "an object")
	}
	for _, k := range sortedKeys(obj) {
		supported, known := searchKeys[k]
		if !known {
			return nil, kerror.New("services.storage.invalid_search_query", k)
		}
		if !supported {
			return nil, kerror.New("services.storage.invalid_query_keyword", k)
		}
	}
	if s.Query, err = parseQueryValue(obj["query"], lang, m); err != nil {
		return nil, err
	}
	if err := s.parseBody(obj, m); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Search) parseBody(obj map[string]any, m *mapping.Mappings) error {
	var err error
	if s.From, err = count(obj["from"], "from", 0); err != nil {
		return err
	}
	if s.Size, err = count(obj["size"], "size", -1); err != nil {
		return err
	}
	if s.Sort, err = parseSort(obj["sort"], m); err != nil {
		return err
	}
	if v, ok := obj["search_after"]; ok && v != nil {
		list, ok := v.([]any)
		if !ok || len(list) != len(s.Sort) {
			return kerror.New("services.storage.invalid_argument", "search_after", "an array with one value per sort field")
		}
		s.SearchAfter = list
	}
	if s.Source, err = parseSource(obj); err != nil {
		return err
	}
	aggs := obj["aggregations"]
	if aggs == nil {
		aggs = obj["aggs"]
	}
	s.Aggregations, err = parseAggregations(aggs, "aggregations", m)
	return err
}

// count reads a non-negative integer, def when absent.
func count(v any, name string, def int) (int, error) {
	if v == nil {
		return def, nil
	}
	f, ok := v.(float64)
	if !ok || f < 0 || f != float64(int(f)) {
		return 0, kerror.New("services.storage.invalid_argument", name, "a non-negative integer")
	}
	return int(f), nil
}

// parseSort reads "field", {"field": "asc"}, {"field": {"order": "desc",
// "missing": "_first"}} or an array of them.
func parseSort(v any, m *mapping.Mappings) ([]SortField, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	out := make([]SortField, 0, len(list))
	for _, item := range list {
		sf, err := parseSortField(item, m)
		if err != nil {
			return nil, err
		}
		out = append(out, sf)
	}
	return out, nil
}

func parseSortField(v any, m *mapping.Mappings) (SortField, error) {
	bad := kerror.New("services.storage.invalid_argument", "sort", `"field", {"field": "asc"} or {"field": {"order": "desc"}}`)
	name, spec := "", any(nil)
	switch t := v.(type) {
	case string:
		name = t
	case map[string]any:
		if len(t) != 1 {
			return SortField{}, bad
		}
		for k, val := range t {
			name, spec = k, val
		}
	default:
		return SortField{}, bad
	}
	sf := SortField{Field: Field{Name: name, Path: []string{name}}, Desc: name == "_score"}
	if name != "_id" && name != "_score" {
		sf.Field = resolveField(m, name)
		if sf.Field.Kind == KindText {
			return SortField{}, kerror.New("services.storage.invalid_argument", "sort."+name, "a keyword, numeric, date or boolean field (text fields cannot be sorted)")
		}
	}
	opts, isObj := spec.(map[string]any)
	if !isObj {
		opts = map[string]any{}
		if spec != nil {
			opts["order"] = spec
		}
	}
	if err := options(opts, "sort."+name, "order", "missing", "mode", "unmapped_type", "format", "numeric_type"); err != nil {
		return SortField{}, err
	}
	switch o := opts["order"]; o {
	case nil:
	case "asc", "desc":
		sf.Desc = o == "desc"
	default:
		return SortField{}, bad
	}
	switch mi := opts["missing"]; mi {
	case nil, "_last":
	case "_first":
		sf.MissingFirst = true
	default:
		return SortField{}, kerror.New("services.storage.invalid_argument", "sort."+name+".missing", `"_first" or "_last"`)
	}
	return sf, nil
}

// parseSource reads _source (true, false, "pattern", [patterns] or
// {includes, excludes}) and _source_includes/_source_excludes.
func parseSource(obj map[string]any) (SourceFilter, error) {
	var f SourceFilter
	bad := kerror.New("services.storage.invalid_argument", "_source", "a boolean, a field pattern, an array of them or {includes, excludes}")
	switch t := obj["_source"].(type) {
	case nil:
	case bool:
		f.Disabled = !t
	case string, []any:
		list, ok := patterns(t)
		if !ok {
			return f, bad
		}
		f.Includes = list
	case map[string]any:
		if err := options(t, "_source", "includes", "excludes", "include", "exclude"); err != nil {
			return f, err
		}
		for _, k := range []string{"includes", "include"} {
			list, ok := patterns(t[k])
			if !ok {
				return f, bad
			}
			f.Includes = append(f.Includes, list...)
		}
		for _, k := range []string{"excludes", "exclude"} {
			list, ok := patterns(t[k])
			if !ok {
				return f, bad
			}
			f.Excludes = append(f.Excludes, list...)
		}
	default:
		return f, bad
	}
	inc, ok1 := patterns(obj["_source_includes"])
	exc, ok2 := patterns(obj["_source_excludes"])
	if !ok1 || !ok2 {
		return f, bad
	}
	f.Includes = append(f.Includes, inc...)
	f.Excludes = append(f.Excludes, exc...)
	return f, nil
}

// patterns reads a pattern, a comma-separated list or an array of them.
func patterns(v any) ([]string, bool) {
	switch t := v.(type) {
	case nil:
		return nil, true
	case string:
		if t == "" {
			return nil, true
		}
		return strings.Split(t, ","), true
	case []any:
		out := make([]string, 0, len(t))
		for _, item := range t {
			s, ok := item.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}
