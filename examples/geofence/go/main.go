//go:build wasip1

// Command geofence is the geofence controller in Go (see ../README.md).
// It imports the Go guest SDK (guests/go/starling) only.
package main

import (
	"math"
	"strconv"

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

func check(req *starling.Request) (any, error) {
	body := req.Body()
	if len(body) == 0 {
		return nil, missing("body")
	}
	lat, ok := starling.Float(starling.Field(body, "lat"))
	if !ok {
		return nil, missing("body.lat")
	}
	lon, ok := starling.Float(starling.Field(body, "lon"))
	if !ok {
		return nil, missing("body.lon")
	}
	d := int64(math.Round(distance(fenceLat, fenceLon, lat, lon)))
	if float64(d) <= fenceRadius {
		// Built by hand: the common answer costs no map and no reflection.
		return append(strconv.AppendInt([]byte(`{"inside":true,"distance":`), d, 10), '}'), nil
	}
	_, err := starling.Call(map[string]any{
		"controller": "realtime", "action": "publish", "index": "geofence", "collection": "alerts",
		"body": map[string]any{"lat": lat, "lon": lon, "distance": d},
	})
	if err != nil {
		starling.Log(starling.Warn, "the alert could not be published: "+err.Error())
	}
	return map[string]any{"inside": false, "distance": d, "alert": err == nil}, nil
}
