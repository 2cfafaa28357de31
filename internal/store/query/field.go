package query

import (
	"strings"

	"github.com/starlingmq/starling/internal/jsonx"

	"github.com/starlingmq/starling/internal/store/mapping"
)

// dynamicKeywordLimit is the ignore_above of the keyword sub-field
// Elasticsearch adds to dynamic string fields: longer strings are not
// indexed there.
const dynamicKeywordLimit = 256

// resolveField looks name up in the mappings. Mappings nil means dynamic
// mappings without any property.
func resolveField(m *mapping.Mappings, name string) Field {
	path := strings.Split(name, ".")
	if m == nil {
		return dynamicField(name, path)
	}
	props, dyn := m.Properties, m.Dynamic
	for i, seg := range path {
		p := props[seg]
		if p == nil {
			if dyn == "false" || dyn == "strict" {
				return Field{Name: name, Path: path, Kind: KindUnindexed}
			}
			return dynamicField(name, path)
		}
		if p.Dynamic != "" {
			dyn = p.Dynamic
		}
		if i == len(path)-1 {
			return Field{Name: name, Path: path, Kind: kindOf(p), Format: dateFormat(p)}
		}
		if isObject(p) {
			props = p.Properties
			continue
		}
		if sub := p.Fields[path[i+1]]; sub != nil && i == len(path)-2 {
			return Field{Name: name, Path: path[:i+1], Kind: kindOf(sub), Format: dateFormat(sub)}
		}
		return Field{Name: name, Path: path, Kind: KindUnindexed}
	}
	return Field{Name: name, Path: path, Kind: KindUnindexed}
}

// dynamicField is a field the mappings do not name: "x.keyword" is the
// keyword sub-field of the dynamic string field x.
func dynamicField(name string, path []string) Field {
	if n := len(path); n > 1 && path[n-1] == "keyword" {
		return Field{Name: name, Path: path[:n-1], Kind: KindDynamicKeyword}
	}
	return Field{Name: name, Path: path, Kind: KindDynamic}
}

// isObject reports whether a mapped field holds sub-fields. Nested fields
// are taken as objects: Starling has no nested query.
func isObject(p *mapping.Field) bool {
	return p.Type == "" || p.Type == "object" || p.Type == "nested"
}

// kindOf maps an Elasticsearch type to the way its values compare.
func kindOf(p *mapping.Field) Kind {
	if raw, ok := p.Options["index"]; ok && string(raw) == "false" {
		return KindUnindexed
	}
	switch p.Type {
	case "text", "match_only_text", "search_as_you_type":
		return KindText
	case "long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float", "unsigned_long":
		return KindNumber
	case "date", "date_nanos":
		return KindDate
	case "boolean":
		return KindBool
	case "geo_point":
		return KindGeo
	case "", "object", "nested":
		return KindDynamic
	default:
		return KindKeyword
	}
}

// dateFormat returns a date field's mapped format, "" for none.
func dateFormat(p *mapping.Field) string {
	if kindOf(p) != KindDate {
		return ""
	}
	var f string
	if raw, ok := p.Options["format"]; ok && jsonx.Unmarshal(raw, &f) == nil {
		return f
	}
	return ""
}
