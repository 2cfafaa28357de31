//go:build wasip1

// Command geofence is the geofence controller in Go (see ../README.md).
// It imports the Go guest SDK (guests/go/starling) only.
package main

import (
	"math"

	"github.com/starlingmq/starling/guests/go/starling"
)

// The fence: a circle around Toulouse's Capitole.
const fenceLat, fenceLon, fenceRadius = 43.6045, 1.4440, 5000.0

func init() {
	starling.Controller("geofence", []string{"check"}, check)
}

func main() {}

// distance returns the great-circle distance in meters (haversine).
func distance(lat1, lon1, lat2, lon2 float64) float64 {
	const r, rad = 6371008.8, math.Pi / 180
	dlat, dlon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) +
		math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}

func missing(name string) error {
	return &starling.Error{ID: "api.assert.missing_argument", Message: `Missing argument "` + name + `".`, Props: []any{name}}
}

type point struct {
	Lat *float64 `json:"lat"`
	Lon *float64 `json:"lon"`
}

func check(req *starling.Request) (any, error) {
	if len(req.Body()) == 0 {
		return nil, missing("body")
	}
	var p point
	if err := jsonUnmarshal(req.Body(), &p); err != nil || p.Lat == nil {
		return nil, missing("body.lat")
	}
	if p.Lon == nil {
		return nil, missing("body.lon")
	}
	d := int64(math.Round(distance(fenceLat, fenceLon, *p.Lat, *p.Lon)))
	if float64(d) <= fenceRadius {
		return map[string]any{"inside": true, "distance": d}, nil
	}
	_, err := starling.Call(map[string]any{
		"controller": "realtime", "action": "publish", "index": "geofence", "collection": "alerts",
		"body": map[string]any{"lat": *p.Lat, "lon": *p.Lon, "distance": d},
	})
	if err != nil {
		starling.Log(starling.Warn, "the alert could not be published: "+err.Error())
	}
	return map[string]any{"inside": false, "distance": d, "alert": err == nil}, nil
}
