package query

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// earthRadius is the mean radius Elasticsearch uses, in meters.
const earthRadius = 6371008.7714

// distanceUnits are Elasticsearch's distance units, in meters.
var distanceUnits = []struct {
	suffix string
	meters float64
}{
	{"nauticalmiles", 1852}, {"nmi", 1852}, {"NM", 1852},
	{"kilometers", 1000}, {"km", 1000}, {"meters", 1}, {"mm", 0.001}, {"cm", 0.01},
	{"miles", 1609.344}, {"mi", 1609.344}, {"yards", 0.9144}, {"yd", 0.9144},
	{"feet", 0.3048}, {"ft", 0.3048}, {"inch", 0.0254}, {"in", 0.0254}, {"m", 1},
}

// parseDistance reads "10km", "500m", "1.5mi" or a number of meters.
func parseDistance(v any) (float64, error) {
	switch t := v.(type) {
	case float64:
		return t, nil
	case string:
		s := strings.TrimSpace(t)
		unit := 1.0
		for _, u := range distanceUnits {
			if strings.HasSuffix(s, u.suffix) {
				s, unit = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.meters
				break
			}
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 0 || math.IsInf(f, 0) {
			return 0, fmt.Errorf("bad distance %q", t)
		}
		return f * unit, nil
	}
	return 0, fmt.Errorf("bad distance")
}

// parsePoint reads a geo point as Elasticsearch does: {lat, lon},
// "lat,lon", [lon, lat] or a geohash.
func parsePoint(v any) (lat, lon float64, ok bool) {
	switch t := v.(type) {
	case map[string]any:
		lat, ok1 := number(t["lat"])
		lon, ok2 := number(t["lon"])
		return lat, lon, ok1 && ok2 && len(t) == 2 && validPoint(lat, lon)
	case string:
		parts := strings.Split(t, ",")
		if len(parts) == 1 {
			return geohash(strings.TrimSpace(t))
		}
		if len(parts) != 2 {
			return 0, 0, false
		}
		lat, err1 := strconv.ParseFloat(strings.TrimSpace(parts[0]), 64)
		lon, err2 := strconv.ParseFloat(strings.TrimSpace(parts[1]), 64)
		return lat, lon, err1 == nil && err2 == nil && validPoint(lat, lon)
	case []any:
		if len(t) != 2 {
			return 0, 0, false
		}
		lon, ok1 := t[0].(float64)
		lat, ok2 := t[1].(float64)
		return lat, lon, ok1 && ok2 && validPoint(lat, lon)
	}
	return 0, 0, false
}

func validPoint(lat, lon float64) bool {
	return lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180
}

// geohash decodes a geohash to its cell's center.
func geohash(s string) (lat, lon float64, ok bool) {
	const alphabet = "0123456789bcdefghjkmnpqrstuvwxyz"
	if s == "" || len(s) > 12 {
		return 0, 0, false
	}
	latR, lonR := [2]float64{-90, 90}, [2]float64{-180, 180}
	even := true
	for _, c := range strings.ToLower(s) {
		idx := strings.IndexRune(alphabet, c)
		if idx < 0 {
			return 0, 0, false
		}
		for bit := 4; bit >= 0; bit-- {
			r := &latR
			if even {
				r = &lonR
			}
			mid := (r[0] + r[1]) / 2
			if idx>>bit&1 == 1 {
				r[0] = mid
			} else {
				r[1] = mid
			}
			even = !even
		}
	}
	return (latR[0] + latR[1]) / 2, (lonR[0] + lonR[1]) / 2, true
}

// arcDistance is the haversine distance in meters.
func arcDistance(lat1, lon1, lat2, lon2 float64) float64 {
	rad := math.Pi / 180
	dLat, dLon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadius * math.Asin(math.Min(1, math.Sqrt(a)))
}

// geoPoints returns the points a document holds at path: one point, or
// an array of points ([lon, lat] pairs count as one point).
func geoPoints(doc map[string]any, path []string) [][2]float64 {
	var out [][2]float64
	walk(doc, path, false, func(v any) {
		if lat, lon, ok := parsePoint(v); ok {
			out = append(out, [2]float64{lat, lon})
			return
		}
		if list, ok := v.([]any); ok {
			for _, item := range list {
				if lat, lon, ok := parsePoint(item); ok {
					out = append(out, [2]float64{lat, lon})
				}
			}
		}
	})
	return out
}

// inPolygon is the even-odd ray casting test; points are lat, lon.
func inPolygon(lat, lon float64, poly [][2]float64) bool {
	in := false
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		yi, xi, yj, xj := poly[i][0], poly[i][1], poly[j][0], poly[j][1]
		if (yi > lat) != (yj > lat) && lon < (xj-xi)*(lat-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	return in
}

func (p *parser) geoDistance(v any, path string) (Node, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalid(path, "an object")
	}
	g := &GeoDistance{}
	var err error
	if g.Meters, err = parseDistance(obj["distance"]); err != nil {
		return nil, invalid(path+".distance", `a distance such as "10km"`)
	}
	for _, k := range sortedKeys(obj) {
		switch k {
		case "distance", "boost", "_name", "distance_type", "validation_method":
			continue
		}
		if g.Field.Name != "" {
			return nil, invalid(path, "one field")
		}
		lat, lon, ok := parsePoint(obj[k])
		if !ok {
			return nil, invalid(path+"."+k, "a geo point")
		}
		g.Field, g.Lat, g.Lon = resolveField(p.m, k), lat, lon
	}
	if g.Field.Name == "" {
		return nil, invalid(path, "a field and its point")
	}
	return g, nil
}

func (p *parser) geoBox(v any, path string) (Node, error) {
	name, body, err := fieldSkipping(v, path)
	if err != nil {
		return nil, err
	}
	obj, ok := body.(map[string]any)
	if !ok {
		return nil, invalid(path+"."+name, "a bounding box")
	}
	b := &GeoBox{Field: resolveField(p.m, name)}
	if !readBox(obj, b) {
		return nil, invalid(path+"."+name, "top_left and bottom_right points, or top, left, bottom and right")
	}
	return b, nil
}

// readBox reads the corners of a bounding box, in any of the forms
// Elasticsearch and Koncorde accept.
func readBox(obj map[string]any, b *GeoBox) bool {
	corner := func(keys ...string) (float64, float64, bool) {
		for _, k := range keys {
			if v, ok := obj[k]; ok {
				return parsePoint(v)
			}
		}
		return 0, 0, false
	}
	if lat, lon, ok := corner("top_left", "topLeft"); ok {
		b.Top, b.Left = lat, lon
		lat, lon, ok = corner("bottom_right", "bottomRight")
		b.Bottom, b.Right = lat, lon
		return ok && len(obj) == 2
	}
	var ok [4]bool
	for i, p := range []*float64{&b.Top, &b.Left, &b.Bottom, &b.Right} {
		*p, ok[i] = number(obj[[]string{"top", "left", "bottom", "right"}[i]])
	}
	return ok[0] && ok[1] && ok[2] && ok[3] && len(obj) == 4
}

// fieldSkipping returns the one key of a geo query that is not an option.
func fieldSkipping(v any, path string) (string, any, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return "", nil, invalid(path, "an object")
	}
	var name string
	for _, k := range sortedKeys(obj) {
		switch k {
		case "boost", "_name", "validation_method", "type", "ignore_unmapped":
			continue
		}
		if name != "" {
			return "", nil, invalid(path, "one field")
		}
		name = k
	}
	if name == "" {
		return "", nil, invalid(path, "one field")
	}
	return name, obj[name], nil
}

func (p *parser) geoPolygon(v any, path string) (Node, error) {
	name, body, err := fieldSkipping(v, path)
	if err != nil {
		return nil, err
	}
	obj, _ := body.(map[string]any)
	list, _ := obj["points"].([]any)
	if len(list) < 3 || len(obj) != 1 {
		return nil, invalid(path+"."+name, "an object with at least 3 points")
	}
	g := &GeoPolygon{Field: resolveField(p.m, name)}
	for _, item := range list {
		lat, lon, ok := parsePoint(item)
		if !ok {
			return nil, invalid(path+"."+name+".points", "geo points")
		}
		g.Points = append(g.Points, [2]float64{lat, lon})
	}
	return g, nil
}

// number returns a float64 JSON value.
func number(v any) (float64, bool) {
	f, ok := v.(float64)
	return f, ok
}
