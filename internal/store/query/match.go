package query

import (
	"strconv"
	"strings"
	"unicode"
)

// Matches reports whether doc, a document decoded with jsonx (numbers as
// float64) whose _id is id, matches n with Elasticsearch's semantics.
// A nil n matches everything.
func Matches(n Node, doc map[string]any, id string) bool {
	switch t := n.(type) {
	case nil, MatchAll:
		return true
	case MatchNone:
		return false
	case *Bool:
		return matchBool(t, doc, id)
	case *IDs:
		for _, v := range t.Values {
			if v == id {
				return true
			}
		}
		return false
	case *Term:
		return anyValue(doc, t.Field, func(v any, k Kind) bool { return termMatch(k, v, t.Values) })
	case *Range:
		return anyValue(doc, t.Field, func(v any, k Kind) bool { return rangeMatch(t, k, v) })
	case *Exists:
		return anyValue(doc, t.Field, func(v any, _ Kind) bool { return exists(v) })
	case *Prefix:
		return anyString(doc, t.Field, func(s string) bool { return strings.HasPrefix(s, t.Value) })
	case *Pattern:
		return anyString(doc, t.Field, t.re.MatchString)
	case *Match:
		return matchText(t, doc)
	case *GeoDistance, *GeoBox, *GeoPolygon:
		return matchGeo(t, doc)
	}
	return false
}

func matchBool(b *Bool, doc map[string]any, id string) bool {
	for _, list := range [][]Node{b.Must, b.Filter} {
		for _, c := range list {
			if !Matches(c, doc, id) {
				return false
			}
		}
	}
	for _, c := range b.MustNot {
		if Matches(c, doc, id) {
			return false
		}
	}
	if b.MinShould == 0 {
		return true
	}
	count := 0
	for _, c := range b.Should {
		if Matches(c, doc, id) {
			if count++; count >= b.MinShould {
				return true
			}
		}
	}
	return false
}

// walk calls fn with each value found at path: arrays met on the way are
// crossed element by element, keys holding dots ("a.b": 1) count as
// nested ones, and with flatten, arrays at the end are expanded too.
func walk(v any, path []string, flatten bool, fn func(any)) {
	if len(path) == 0 {
		if list, ok := v.([]any); ok && flatten {
			for _, e := range list {
				walk(e, nil, true, fn)
			}
			return
		}
		fn(v)
		return
	}
	switch t := v.(type) {
	case map[string]any:
		key := path[0]
		for i := 1; ; i++ {
			if child, ok := t[key]; ok {
				walk(child, path[i:], flatten, fn)
			}
			if i == len(path) {
				return
			}
			key += "." + path[i]
		}
	case []any:
		for _, e := range t {
			walk(e, path, flatten, fn)
		}
	}
}

// anyValue reports whether one value of the field satisfies test, given
// with the kind it is indexed as.
func anyValue(doc map[string]any, f Field, test func(any, Kind) bool) bool {
	if f.Kind == KindUnindexed {
		return false
	}
	found := false
	walk(doc, f.Path, true, func(v any) {
		if found || v == nil {
			return
		}
		k := f.Kind
		switch f.Kind {
		case KindDate:
			ms, ok := dateOf(v, f.Format)
			if !ok {
				return
			}
			v = float64(ms)
		case KindDynamic:
			k = dynamicKind(v)
		case KindDynamicKeyword:
			s, ok := v.(string)
			if !ok || len(s) > dynamicKeywordLimit {
				return
			}
			k = KindKeyword
		}
		found = test(v, k)
	})
	return found
}

// dynamicKind is how Elasticsearch maps a value of a new field.
func dynamicKind(v any) Kind {
	switch v.(type) {
	case string:
		return KindText
	case float64:
		return KindNumber
	case bool:
		return KindBool
	}
	return KindDynamic
}

// anyString tests the strings of a keyword field, or the tokens of a text
// field: what prefix, wildcard and regexp queries match.
func anyString(doc map[string]any, f Field, test func(string) bool) bool {
	return anyValue(doc, f, func(v any, k Kind) bool {
		switch k {
		case KindKeyword:
			s, ok := keywordOf(v)
			return ok && test(s)
		case KindText:
			s, _ := keywordOf(v)
			for _, tok := range analyze(s) {
				if test(tok) {
					return true
				}
			}
		}
		return false
	})
}

func exists(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case map[string]any:
		return len(t) > 0
	}
	return true
}

// termMatch compares one indexed value with the values of a term query.
func termMatch(k Kind, v any, values []any) bool {
	for _, q := range values {
		if equalAs(k, v, q) {
			return true
		}
	}
	return false
}

// equalAs reports whether the document value v equals the query value q
// for a field of kind k; on text fields q must be one of v's tokens.
func equalAs(k Kind, v, q any) bool {
	switch k {
	case KindKeyword:
		a, ok1 := keywordOf(v)
		b, ok2 := keywordOf(q)
		return ok1 && ok2 && a == b
	case KindText:
		s, _ := keywordOf(v)
		b, ok := keywordOf(q)
		return ok && containsToken(analyze(s), b)
	case KindNumber:
		a, ok1 := numberOf(v)
		b, ok2 := numberOf(q)
		return ok1 && ok2 && a == b
	case KindDate:
		a, ok1 := dateOf(v, "")
		b, ok2 := dateOf(q, "")
		return ok1 && ok2 && a == b
	case KindBool:
		a, ok1 := boolOf(v)
		b, ok2 := boolOf(q)
		return ok1 && ok2 && a == b
	}
	return false
}

func containsToken(tokens []string, t string) bool {
	for _, tok := range tokens {
		if tok == t {
			return true
		}
	}
	return false
}

// keywordOf is the string a keyword field indexes for a value.
func keywordOf(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case float64, bool:
		return formatScalar(t), true
	}
	return "", false
}

// formatScalar writes a scalar as Elasticsearch coerces it to a string.
func formatScalar(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(t)
	}
	return ""
}

// numberOf is the number a numeric field indexes: numeric strings are
// coerced, as Elasticsearch does.
func numberOf(v any) (float64, bool) {
	switch t := v.(type) {
	case float64:
		return t, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		return f, err == nil
	}
	return 0, false
}

func boolOf(v any) (bool, bool) {
	switch v {
	case true, "true":
		return true, true
	case false, "false":
		return false, true
	}
	return false, false
}

// analyze approximates the standard analyzer: lowercase tokens made of
// letters and digits.
func analyze(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// matchText evaluates match, match_phrase and multi_match: one field
// matching is enough.
func matchText(m *Match, doc map[string]any) bool {
	if m.ZeroTermsAll && len(m.tokens) == 0 {
		return true
	}
	for _, f := range m.Fields {
		if matchField(m, f, doc) {
			return true
		}
	}
	return false
}

// matchField analyzes the query for text values; other values compare
// with the whole query, as their analyzer keeps it one term.
func matchField(m *Match, f Field, doc map[string]any) bool {
	var fieldTokens []string
	found := anyValue(doc, f, func(v any, k Kind) bool {
		if k != KindText {
			return equalAs(k, v, m.Query)
		}
		s, _ := keywordOf(v)
		tokens := analyze(s)
		if m.Phrase {
			return len(m.tokens) > 0 && hasPhrase(tokens, m.tokens)
		}
		fieldTokens = append(fieldTokens, tokens...)
		return false
	})
	if found || m.Phrase || len(m.tokens) == 0 {
		return found
	}
	for _, q := range m.tokens {
		in := containsToken(fieldTokens, q)
		if in && !m.And {
			return true
		}
		if !in && m.And {
			return false
		}
	}
	return m.And
}

func hasPhrase(tokens, phrase []string) bool {
	for i := 0; i+len(phrase) <= len(tokens); i++ {
		ok := true
		for j, p := range phrase {
			if tokens[i+j] != p {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func matchGeo(n Node, doc map[string]any) bool {
	var f Field
	var test func(lat, lon float64) bool
	switch t := n.(type) {
	case *GeoDistance:
		f, test = t.Field, func(lat, lon float64) bool { return arcDistance(t.Lat, t.Lon, lat, lon) <= t.Meters }
	case *GeoBox:
		f, test = t.Field, func(lat, lon float64) bool { return inBox(t, lat, lon) }
	case *GeoPolygon:
		f, test = t.Field, func(lat, lon float64) bool { return inPolygon(lat, lon, t.Points) }
	}
	if f.Kind == KindUnindexed {
		return false
	}
	for _, p := range geoPoints(doc, f.Path) {
		if test(p[0], p[1]) {
			return true
		}
	}
	return false
}

func inBox(b *GeoBox, lat, lon float64) bool {
	if lat > b.Top || lat < b.Bottom {
		return false
	}
	if b.Left <= b.Right {
		return lon >= b.Left && lon <= b.Right
	}
	return lon >= b.Left || lon <= b.Right // across the antimeridian
}
