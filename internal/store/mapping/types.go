package mapping

// kind is the family of a field type, which decides the values it accepts.
type kind uint8

const (
	kindUnknown kind = iota
	kindObject
	kindNested
	kindKeyword
	kindText
	kindInteger // integer, long, short, byte
	kindFloat   // float, double, half_float, scaled_float
	kindBoolean
	kindDate
	kindGeoPoint
)

// typeInfo describes one supported Elasticsearch type.
type typeInfo struct {
	kind kind
	// params are the mapping parameters the type accepts besides type and
	// fields (and properties and dynamic for objects).
	params map[string]bool
}

// lookupType returns what Starling knows of an Elasticsearch type; ok is
// false for a type it does not support. Parameter sets are Elasticsearch 7's.
// The table is built per call so that the package keeps no global: parsing
// is not on the hot path, and document checks switch on the type name
// instead (kindOf).
func lookupType(name string) (typeInfo, bool) {
	common := []string{"boost", "copy_to", "doc_values", "index", "meta", "null_value", "store"}
	var params []string
	switch kindOf(name) {
	case kindObject:
		params = []string{"enabled"}
	case kindNested:
		params = []string{"include_in_parent", "include_in_root"}
	case kindKeyword:
		params = append(common, "eager_global_ordinals", "ignore_above", "index_options",
			"norms", "normalizer", "similarity", "split_queries_on_whitespace")
	case kindText:
		params = []string{
			"analyzer", "boost", "copy_to", "eager_global_ordinals", "fielddata",
			"fielddata_frequency_filter", "index", "index_options", "index_phrases",
			"index_prefixes", "meta", "norms", "position_increment_gap", "store",
			"search_analyzer", "search_quote_analyzer", "similarity", "term_vector",
		}
	case kindInteger, kindFloat:
		params = append(common, "coerce", "ignore_malformed")
		if name == "scaled_float" {
			params = append(params, "scaling_factor")
		}
	case kindBoolean:
		params = common
	case kindDate:
		params = append(common, "format", "ignore_malformed", "locale")
	case kindGeoPoint:
		params = []string{"copy_to", "doc_values", "ignore_malformed", "ignore_z_value", "index", "null_value", "store"}
	default:
		return typeInfo{}, false
	}
	info := typeInfo{kind: kindOf(name), params: make(map[string]bool, len(params))}
	for _, p := range params {
		info.params[p] = true
	}
	return info, true
}

// kindOf returns the kind of a type name without building its parameter
// table: the fast path of document checks.
func kindOf(name string) kind {
	switch name {
	case "", "object":
		return kindObject
	case "nested":
		return kindNested
	case "keyword":
		return kindKeyword
	case "text":
		return kindText
	case "long", "integer", "short", "byte":
		return kindInteger
	case "float", "double", "half_float", "scaled_float":
		return kindFloat
	case "boolean":
		return kindBoolean
	case "date":
		return kindDate
	case "geo_point":
		return kindGeoPoint
	}
	return kindUnknown
}

// integerRange returns the bounds of an integer type.
func integerRange(name string) (float64, float64) {
	switch name {
	case "integer":
		return -2147483648, 2147483647
	case "short":
		return -32768, 32767
	case "byte":
		return -128, 127
	}
	return -9223372036854775808, 9223372036854775807
}

// floatMax returns the largest magnitude a float type holds, 0 for
// unbounded (double, scaled_float).
func floatMax(name string) float64 {
	switch name {
	case "float":
		return 3.4028234663852886e38
	case "half_float":
		return 65504
	}
	return 0
}
