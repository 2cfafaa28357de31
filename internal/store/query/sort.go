package query

import (
	"strings"

	"github.com/starlingmq/starling/internal/jsonx"
)

// SortValues returns a hit's sort values, as Elasticsearch returns them in
// hit.sort and expects them back in search_after: the id for _id, the
// score for _score, else the field's value (a string for keywords, a
// float64 for numbers, dates in epoch milliseconds and booleans as 0 or
// 1); an array field gives its smallest value in ascending order, its
// largest in descending order; a missing field gives nil.
func SortValues(doc map[string]any, id string, score float64, sort []SortField) []any {
	out := make([]any, len(sort))
	for i, sf := range sort {
		switch sf.Field.Name {
		case "_id":
			out[i] = id
			continue
		case "_score":
			out[i] = score
			continue
		}
		var best any
		anyValue(doc, sf.Field, func(v any, k Kind) bool {
			if k == KindText {
				k = KindKeyword // dynamic strings sort as their keyword
			}
			key, ok := orderKey(k, v, "")
			if ok && (best == nil || compareKeys(key, best) < 0 != sf.Desc) {
				best = key
			}
			return false
		})
		out[i] = best
	}
	return out
}

// Compare orders two hits by their SortValues: negative when a comes
// first. Missing values (nil) come last unless MissingFirst. It also
// compares a hit with search_after's values (decoded JSON): a hit is
// after them when Compare(hitValues, searchAfter, sort) > 0.
func Compare(a, b []any, sort []SortField) int {
	for i, sf := range sort {
		if i >= len(a) || i >= len(b) {
			break
		}
		x, y := a[i], b[i]
		if x == nil || y == nil {
			if x == nil && y == nil {
				continue
			}
			if (x == nil) == sf.MissingFirst {
				return -1
			}
			return 1
		}
		c := compareKeys(x, y)
		if sf.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// FilterSource applies _source includes and excludes to a document's
// source: included paths are kept (with everything under them), excluded
// ones removed; patterns may hold * wildcards and match dotted paths.
// A disabled filter returns nil; a filter without patterns, or a source
// that is not an object, returns src unchanged.
func FilterSource(src jsonx.RawMessage, f SourceFilter) jsonx.RawMessage {
	if f.Disabled {
		return nil
	}
	if len(f.Includes) == 0 && len(f.Excludes) == 0 {
		return src
	}
	var doc map[string]any
	if jsonx.Unmarshal(src, &doc) != nil || doc == nil {
		return src
	}
	out, err := jsonx.Marshal(filterObject(doc, "", f, len(f.Includes) == 0))
	if err != nil {
		return src
	}
	return out
}

// filterObject keeps the members of obj under prefix that the filter
// selects; included says an include pattern already matched a parent.
func filterObject(obj map[string]any, prefix string, f SourceFilter, included bool) map[string]any {
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		full := prefix + k
		if matchesAny(f.Excludes, full) {
			continue
		}
		in := included || matchesAny(f.Includes, full)
		if kept, ok := filterValue(v, full, f, in); ok {
			out[k] = kept
		}
	}
	return out
}

func filterValue(v any, full string, f SourceFilter, in bool) (any, bool) {
	switch t := v.(type) {
	case map[string]any:
		if !in && !couldInclude(f.Includes, full) {
			return nil, false
		}
		sub := filterObject(t, full+".", f, in)
		return sub, in || len(sub) > 0
	case []any:
		var list []any
		for _, item := range t {
			if kept, ok := filterValue(item, full, f, in); ok {
				list = append(list, kept)
			}
		}
		return list, in || len(list) > 0
	}
	return v, in
}

func matchesAny(patterns []string, p string) bool {
	for _, pat := range patterns {
		if pat == p || (strings.Contains(pat, "*") && globMatch(pat, p)) {
			return true
		}
	}
	return false
}

// globMatch matches * across dots, as Elasticsearch's patterns do.
func globMatch(pat, s string) bool {
	re, _ := compileWildcard(strings.ReplaceAll(pat, "?", `\?`))
	return re.MatchString(s)
}

// couldInclude reports whether an include pattern may select something
// under the object at p.
func couldInclude(patterns []string, p string) bool {
	for _, pat := range patterns {
		if strings.HasPrefix(pat, p+".") || strings.Contains(pat, "*") {
			return true
		}
	}
	return false
}
