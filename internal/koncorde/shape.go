package koncorde

import "math"

// shape is the area of a geo condition, with the bounding box (envelope)
// koncorde's spatial index stores it under. A point is in the shape when it
// is in the envelope (inclusive) and passes the exact test.
type shape struct {
	kind           geoKind
	minLat, minLon float64
	maxLat, maxLon float64
	center         point
	outer, inner   float64 // circles and annuli, metres
	poly           []point
}

func newBox(bottom, left, top, right float64) *shape {
	return &shape{kind: geoBox, minLat: bottom, minLon: left, maxLat: top, maxLon: right}
}

// newCircle builds a circle (inner == 0) or an annulus. Its envelope is
// koncorde's: the radius over a sphere, widened in longitude by the cosine
// of the centre's latitude.
func newCircle(c point, outer, inner float64) *shape {
	kind := geoCircle
	if inner > 0 {
		kind = geoAnnulus
	}
	dlat := outer / envelopeRadius * 180 / math.Pi
	dlon := outer / (envelopeRadius * math.Cos(math.Pi*c.lat/180)) * 180 / math.Pi
	return &shape{
		kind: kind, center: c, outer: outer, inner: inner,
		minLat: c.lat - dlat, maxLat: c.lat + dlat,
		minLon: c.lon - dlon, maxLon: c.lon + dlon,
	}
}

func newPolygon(pts []point) *shape {
	s := &shape{kind: geoPolygon, poly: pts,
		minLat: math.Inf(1), minLon: math.Inf(1), maxLat: math.Inf(-1), maxLon: math.Inf(-1)}
	for _, p := range pts {
		s.minLat, s.maxLat = math.Min(s.minLat, p.lat), math.Max(s.maxLat, p.lat)
		s.minLon, s.maxLon = math.Min(s.minLon, p.lon), math.Max(s.maxLon, p.lon)
	}
	return s
}

// key lists the numbers that identify the shape.
func (s *shape) key() []float64 {
	switch s.kind {
	case geoBox:
		return []float64{s.minLat, s.minLon, s.maxLat, s.maxLon}
	case geoCircle, geoAnnulus:
		return []float64{s.center.lat, s.center.lon, s.outer, s.inner}
	}
	out := make([]float64, 0, 2*len(s.poly))
	for _, p := range s.poly {
		out = append(out, p.lat, p.lon)
	}
	return out
}

func (s *shape) inEnvelope(p point) bool {
	return p.lat >= s.minLat && p.lat <= s.maxLat && p.lon >= s.minLon && p.lon <= s.maxLon
}

// contains reports whether p is in the shape, boundary included.
func (s *shape) contains(p point) bool {
	if !s.inEnvelope(p) {
		return false
	}
	switch s.kind {
	case geoBox:
		return true
	case geoCircle:
		return distance(s.center, p) <= s.outer
	case geoAnnulus:
		d := distance(s.center, p)
		return d <= s.outer && d >= s.inner
	}
	return inPolygon(s.poly, p)
}

// inPolygon is an even-odd test in the latitude/longitude plane, with the
// boundary counted as inside.
func inPolygon(poly []point, p point) bool {
	inside := false
	j := len(poly) - 1
	for i := range poly {
		a, b := poly[i], poly[j]
		if onSegment(a, b, p) {
			return true
		}
		if (a.lat > p.lat) != (b.lat > p.lat) {
			x := (b.lon-a.lon)*(p.lat-a.lat)/(b.lat-a.lat) + a.lon
			if p.lon < x {
				inside = !inside
			}
		}
		j = i
	}
	return inside
}

func onSegment(a, b, p point) bool {
	cross := (b.lon-a.lon)*(p.lat-a.lat) - (b.lat-a.lat)*(p.lon-a.lon)
	if cross != 0 {
		return false
	}
	return p.lon >= math.Min(a.lon, b.lon) && p.lon <= math.Max(a.lon, b.lon) &&
		p.lat >= math.Min(a.lat, b.lat) && p.lat <= math.Max(a.lat, b.lat)
}
