package koncorde

import (
	"math"
	"strconv"
	"strings"

	"github.com/starlingmq/starling/internal/jsonx"
)

func geoLeaf(kind geoKind, field string, s *shape) *node {
	nums := s.key()
	key := make([]byte, 0, 8+len(field)+24*len(nums))
	key = append(key, "geo"...)
	key = strconv.AppendInt(key, int64(kind), 10)
	key = append(key, ':')
	key = strconv.AppendQuote(key, field)
	for _, f := range nums {
		key = append(key, ',')
		key = strconv.AppendFloat(key, f, 'g', -1, 64)
	}
	return leaf(&condition{kw: kwGeo, geo: kind, field: field, rareCondition: &rareCondition{shape: s}, key: string(key)})
}

func parseGeoBoundingBox(v any, path string) (*node, error) {
	o, err := expectObject(v, path, objectRules{properties: 1})
	if err != nil {
		return nil, err
	}
	field := onlyKey(o)
	fieldPath := join(path, field)
	raw, ok := o[field].(map[string]any)
	if !ok {
		return nil, dslError(fieldPath, "unrecognized geo-point format")
	}
	box := camelGeoKeys(raw)
	var top, left, bottom, right float64
	found := false
	if allStringOrNumber(box, "top", "left", "bottom", "right") {
		vals := make([]float64, 4)
		for i, k := range []string{"top", "left", "bottom", "right"} {
			vals[i] = parseFloat(box[k])
			if math.IsNaN(vals[i]) {
				return nil, dslError(fieldPath, "unrecognized geoBoundingBox format: "+showBox(box))
			}
		}
		top, left, bottom, right, found = vals[0], vals[1], vals[2], vals[3], true
	} else if truthy(box["topLeft"]) && truthy(box["bottomRight"]) {
		tl, ok1 := toPoint(box["topLeft"])
		br, ok2 := toPoint(box["bottomRight"])
		if ok1 && ok2 {
			top, left, bottom, right, found = tl.lat, tl.lon, br.lat, br.lon, true
		}
	}
	if !found {
		return nil, dslError(fieldPath, "unrecognized geo-point format")
	}
	// koncorde's spatial index refuses these when the filter is stored.
	if bottom >= top {
		return nil, dslError("", "min_lat argument cannot be greater or equal max_lat")
	}
	if left >= right {
		return nil, dslError("", "min_lon argument cannot be greater or equal max_lon")
	}
	return geoLeaf(geoBox, field, newBox(bottom, left, top, right)), nil
}

func allStringOrNumber(o map[string]any, keys ...string) bool {
	for _, k := range keys {
		switch o[k].(type) {
		case string, float64:
		default:
			return false
		}
	}
	return true
}

// geoField returns the one key of o that is not a keyword argument.
func geoField(o map[string]any, args ...string) string {
	for _, k := range sortedKeys(o) {
		isArg := false
		for _, a := range args {
			isArg = isArg || k == a
		}
		if !isArg {
			return k
		}
	}
	return "undefined"
}

func parseGeoDistance(v any, path string) (*node, error) {
	o, err := expectObject(v, path, objectRules{properties: 2, required: []string{"distance"}})
	if err != nil {
		return nil, err
	}
	dist, err := expectString(o["distance"], join(path, "distance"))
	if err != nil {
		return nil, err
	}
	field := geoField(o, "distance")
	p, ok := toPoint(o[field])
	if !ok {
		return nil, dslError(join(path, field), "unrecognized point format")
	}
	radius, err := convertDistance(dist)
	if err != nil {
		return nil, dslError("", err.Error())
	}
	return geoLeaf(geoCircle, field, newCircle(p, radius, 0)), nil
}

func parseGeoDistanceRange(v any, path string) (*node, error) {
	o, err := expectObject(v, path, objectRules{properties: 3, required: []string{"from", "to"}})
	if err != nil {
		return nil, err
	}
	field := geoField(o, "from", "to")
	var bounds [2]float64
	for i, k := range []string{"from", "to"} {
		s, err := expectString(o[k], join(path, k))
		if err != nil {
			return nil, err
		}
		if bounds[i], err = convertDistance(s); err != nil {
			return nil, dslError("", err.Error())
		}
	}
	if bounds[0] >= bounds[1] {
		return nil, dslError(path, "inner radius must be smaller than outer radius")
	}
	p, ok := toPoint(o[field])
	if !ok {
		return nil, dslError(join(path, field), "unrecognized point format")
	}
	return geoLeaf(geoAnnulus, field, newCircle(p, bounds[1], bounds[0])), nil
}

func parseGeoPolygon(v any, path string) (*node, error) {
	o, err := expectObject(v, path, objectRules{properties: 1})
	if err != nil {
		return nil, err
	}
	field := onlyKey(o)
	fieldPath := join(path, field)
	spec, err := expectObject(o[field], fieldPath, objectRules{properties: 1, required: []string{"points"}})
	if err != nil {
		return nil, err
	}
	pointsPath := join(fieldPath, "points")
	raw, err := expectArray(spec["points"], pointsPath, false, false)
	if err != nil {
		return nil, err
	}
	if len(raw) < 3 {
		return nil, dslError(pointsPath, "at least 3 points are required to build a polygon")
	}
	pts := make([]point, len(raw))
	for i, r := range raw {
		p, ok := toPoint(r)
		if !ok {
			shown, _ := jsonx.Marshal(r)
			return nil, dslError(pointsPath, "unrecognized point format \""+string(shown)+"\"")
		}
		pts[i] = p
	}
	return geoLeaf(geoPolygon, field, newPolygon(pts)), nil
}

// showBox renders a bounding box as JSON with top, left, bottom and right
// first, the order users write them in (a Go map keeps no order).
func showBox(box map[string]any) string {
	order := []string{"top", "left", "bottom", "right"}
	for _, k := range sortedKeys(box) {
		if k != "top" && k != "left" && k != "bottom" && k != "right" {
			order = append(order, k)
		}
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range order {
		if i > 0 {
			b.WriteByte(',')
		}
		v, _ := jsonx.Marshal(box[k])
		b.WriteString(strconv.Quote(k) + ":" + string(v))
	}
	b.WriteByte('}')
	return b.String()
}
