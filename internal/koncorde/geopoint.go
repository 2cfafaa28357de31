package koncorde

import (
	"math"
	"regexp"
	"strings"
)

// point is a geographic coordinate in degrees.
type point struct{ lat, lon float64 }

// geohashPattern is what koncorde takes for a geohash string.
var geohashPattern = regexp.MustCompile(`^[0-9a-z]{4,}$`)

// toPoint converts any of koncorde's accepted geopoint formats: "lat, lon",
// a geohash, [lat, lon], {lat, lon}, {lat_lon|latLon: [lat, lon] |
// {lat, lon} | "lat, lon"}. ok is false when v is none of them.
func toPoint(v any) (p point, ok bool) {
	if !truthy(v) {
		return point{}, false
	}
	switch x := v.(type) {
	case string:
		return pointFromString(x)
	case []any:
		if len(x) != 2 {
			return point{}, false
		}
		return coordinate(x[0], x[1])
	case map[string]any:
		return pointFromObject(camelGeoKeys(x))
	case *object:
		return pointFromMembers(x)
	}
	return point{}, false
}

// pointFromMembers is pointFromObject(camelGeoKeys(o)) for an object read
// from JSON bytes.
func pointFromMembers(o *object) (point, bool) {
	lat, hasLat := o.get("lat")
	lon, hasLon := o.get("lon")
	if hasLat && hasLon {
		return coordinate(lat, lon)
	}
	ll, ok := o.get("lat_lon")
	if !ok {
		if ll, ok = o.get("latLon"); !ok {
			return point{}, false
		}
	}
	switch x := ll.(type) {
	case []any:
		if len(x) != 2 {
			return point{}, false
		}
		return coordinate(x[0], x[1])
	case *object:
		lat, hasLat := x.get("lat")
		lon, hasLon := x.get("lon")
		if hasLat && hasLon {
			return coordinate(lat, lon)
		}
	case string:
		return pointFromString(x)
	}
	return point{}, false
}

func pointFromObject(o map[string]any) (point, bool) {
	lat, hasLat := o["lat"]
	lon, hasLon := o["lon"]
	if hasLat && hasLon {
		return coordinate(lat, lon)
	}
	ll, ok := o["latLon"]
	if !ok {
		return point{}, false
	}
	switch x := ll.(type) {
	case []any:
		if len(x) != 2 {
			return point{}, false
		}
		return coordinate(x[0], x[1])
	case map[string]any:
		lat, hasLat := x["lat"]
		lon, hasLon := x["lon"]
		if hasLat && hasLon {
			return coordinate(lat, lon)
		}
	case string:
		return pointFromString(x)
	}
	return point{}, false
}

// camelGeoKeys renames lat_lon, top_left and bottom_right to camel case,
// leaving every other key alone.
func camelGeoKeys(o map[string]any) map[string]any {
	rename := map[string]string{"lat_lon": "latLon", "top_left": "topLeft", "bottom_right": "bottomRight"}
	need := false
	for k := range o {
		if _, ok := rename[k]; ok {
			need = true
			break
		}
	}
	if !need {
		return o
	}
	out := make(map[string]any, len(o))
	for k, v := range o {
		if r, ok := rename[k]; ok {
			out[r] = v
			continue
		}
		if _, dup := out[k]; !dup {
			out[k] = v
		}
	}
	return out
}

func pointFromString(s string) (point, bool) {
	parts := strings.Split(s, ",")
	if len(parts) == 2 {
		return coordinate(parts[0], parts[1])
	}
	if geohashPattern.MatchString(s) {
		return decodeGeohash(s), true
	}
	return point{}, false
}

func coordinate(lat, lon any) (point, bool) {
	p := point{lat: parseFloat(lat), lon: parseFloat(lon)}
	if math.IsNaN(p.lat) || math.IsNaN(p.lon) {
		return point{}, false
	}
	return p, true
}

const geohashAlphabet = "0123456789bcdefghjkmnpqrstuvwxyz"

// decodeGeohash returns the centre of a geohash cell; characters outside
// the geohash alphabet count as zero, as in ngeohash.
func decodeGeohash(s string) point {
	minLat, maxLat, minLon, maxLon := -90.0, 90.0, -180.0, 180.0
	even := true
	for i := 0; i < len(s); i++ {
		v := strings.IndexByte(geohashAlphabet, s[i])
		if v < 0 {
			v = 0
		}
		for bit := 4; bit >= 0; bit-- {
			set := (v>>bit)&1 == 1
			if even {
				mid := (minLon + maxLon) / 2
				if set {
					minLon = mid
				} else {
					maxLon = mid
				}
			} else {
				mid := (minLat + maxLat) / 2
				if set {
					minLat = mid
				} else {
					maxLat = mid
				}
			}
			even = !even
		}
	}
	return point{lat: (minLat + maxLat) / 2, lon: (minLon + maxLon) / 2}
}

// WGS84, as Boost.Geometry's geographic coordinate system uses.
const (
	wgs84A = 6378137.0
	wgs84F = 1 / 298.257223563
	// envelopeRadius is the sphere koncorde's spatial index uses to bound
	// circles before the exact distance test.
	envelopeRadius = 6378137.0
)

// distance is the geodesic distance in metres between two points on the
// WGS84 ellipsoid, by the Andoyer-Lambert first-order formula (the default
// of the Boost.Geometry index koncorde relies on).
func distance(a, b point) float64 {
	const rad = math.Pi / 180
	lat1, lat2 := a.lat*rad, b.lat*rad
	dlon := (b.lon - a.lon) * rad
	sin1, cos1 := math.Sincos(lat1)
	sin2, cos2 := math.Sincos(lat2)
	cosD := sin1*sin2 + cos1*cos2*math.Cos(dlon)
	cosD = math.Max(-1, math.Min(1, cosD))
	d := math.Acos(cosD)
	if d == 0 {
		return 0
	}
	sinD := math.Sin(d)
	k := (sin1 - sin2) * (sin1 - sin2)
	l := (sin1 + sin2) * (sin1 + sin2)
	var h, g float64
	if 1-cosD != 0 {
		h = (d + 3*sinD) / (1 - cosD)
	}
	if 1+cosD != 0 {
		g = (d - 3*sinD) / (1 + cosD)
	}
	dd := -(wgs84F / 4) * (h*k + g*l)
	return wgs84A * (d + dd)
}
