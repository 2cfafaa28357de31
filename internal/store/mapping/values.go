package mapping

import (
	"math"
	"strconv"
	"strings"

	"github.com/starlingmq/starling/internal/jsonx"
)

// acceptLeaf reports whether value (a scalar, or an array of them) suits
// the concrete field f (its multi-fields aside); when not, bad is the offending
// value. It allocates nothing.
func acceptLeaf(f *Field, value any) (bad any, ok bool) {
	k := kindOf(f.Type)
	if arr, isArr := value.([]any); isArr && !(k == kindGeoPoint && isLonLat(arr)) {
		for _, e := range arr {
			if bad, ok := acceptLeaf(f, e); !ok {
				return bad, false
			}
		}
		return nil, true
	}
	if !acceptScalar(f, k, value) && !ignoreMalformed(f) {
		return value, false
	}
	return nil, true
}

func ignoreMalformed(f *Field) bool {
	return f.Options != nil && string(f.Options["ignore_malformed"]) == "true"
}

func coerce(f *Field) bool {
	return f.Options == nil || string(f.Options["coerce"]) != "false"
}

// acceptScalar reports whether one non-array value suits a field of kind k.
func acceptScalar(f *Field, k kind, value any) bool {
	if value == nil {
		return true
	}
	switch k {
	case kindKeyword, kindText:
		switch value.(type) {
		case string, float64, bool, jsonx.Number:
			return true
		}
		return false
	case kindInteger, kindFloat:
		return acceptNumber(f, k, value)
	case kindBoolean:
		switch v := value.(type) {
		case bool:
			return true
		case string:
			return v == "true" || v == "false" || v == ""
		}
		return false
	case kindDate:
		return acceptDate(f, value)
	case kindGeoPoint:
		return acceptGeoPoint(value)
	}
	return false
}

// acceptNumber: numbers, and numeric strings unless coerce is false; an
// integer type truncates fractions (refused without coerce) and has bounds.
func acceptNumber(f *Field, k kind, value any) bool {
	var x float64
	switch v := value.(type) {
	case float64:
		x = v
	case jsonx.Number:
		var err error
		if x, err = strconv.ParseFloat(string(v), 64); err != nil {
			return false
		}
	case string:
		if !coerce(f) {
			return false
		}
		if v == "" {
			return true // Elasticsearch indexes an empty string as null
		}
		var err error
		if x, err = strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil {
			return false
		}
	default:
		return false
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return false
	}
	if k == kindInteger {
		if x != math.Trunc(x) && !coerce(f) {
			return false
		}
		lo, hi := integerRange(f.Type)
		return math.Trunc(x) >= lo && math.Trunc(x) <= hi
	}
	limit := floatMax(f.Type)
	return limit == 0 || math.Abs(x) <= limit
}

// isLonLat reports whether arr is one geo_point as [lon, lat] or
// [lon, lat, z].
func isLonLat(arr []any) bool {
	if len(arr) != 2 && len(arr) != 3 {
		return false
	}
	for _, e := range arr {
		if _, ok := e.(float64); !ok {
			return false
		}
	}
	return true
}

// acceptGeoPoint: {lat, lon}, {geohash}, GeoJSON {type: Point,
// coordinates}, "lat,lon", a geohash, "POINT (lon lat)", [lon, lat].
func acceptGeoPoint(value any) bool {
	switch v := value.(type) {
	case []any:
		return isLonLat(v) && validLatLon(v[1].(float64), v[0].(float64))
	case string:
		return acceptGeoString(v)
	case map[string]any:
		if gh, ok := v["geohash"].(string); ok && len(v) == 1 {
			return isGeohash(gh)
		}
		if coords, ok := v["coordinates"].([]any); ok {
			return (v["type"] == "Point" || v["type"] == "point") && acceptGeoPoint(coords)
		}
		lat, okLat := geoNumber(v["lat"])
		lon, okLon := geoNumber(v["lon"])
		return okLat && okLon && validLatLon(lat, lon)
	}
	return false
}

func acceptGeoString(s string) bool {
	if lat, lon, ok := strings.Cut(s, ","); ok {
		la, err1 := strconv.ParseFloat(strings.TrimSpace(lat), 64)
		lo, err2 := strconv.ParseFloat(strings.TrimSpace(lon), 64)
		return err1 == nil && err2 == nil && validLatLon(la, lo)
	}
	if rest, ok := strings.CutPrefix(strings.ToUpper(strings.TrimSpace(s)), "POINT"); ok {
		rest = strings.TrimSpace(rest)
		if len(rest) < 2 || rest[0] != '(' || rest[len(rest)-1] != ')' {
			return false
		}
		parts := strings.Fields(rest[1 : len(rest)-1])
		if len(parts) < 2 || len(parts) > 3 {
			return false
		}
		lo, err1 := strconv.ParseFloat(parts[0], 64)
		la, err2 := strconv.ParseFloat(parts[1], 64)
		return err1 == nil && err2 == nil && validLatLon(la, lo)
	}
	return isGeohash(s)
}

func geoNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

func validLatLon(lat, lon float64) bool {
	return lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180
}

// isGeohash reports whether s is a geohash: 1 to 12 base-32 characters.
func isGeohash(s string) bool {
	if s == "" || len(s) > 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune("0123456789bcdefghjkmnpqrstuvwxyz", rune(s[i]|0x20)) {
			return false
		}
	}
	return true
}
