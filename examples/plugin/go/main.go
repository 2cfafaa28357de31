//go:build wasip1

// Command plugin is the price guard plugin in Go (see ../README.md): a pipe
// on document:beforeCreate, a hook on auth:afterLogin and a controller
// action "stats". It imports the Go guest SDK (guests/go/starling) only.
package main

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/starlingmq/starling/guests/go/starling"
)

const checkedBy = "plugin-go"

// priceRange is the module's configuration.
type priceRange struct {
	MinPrice float64 `json:"minPrice"`
	MaxPrice float64 `json:"maxPrice"`
}

// bounds is this instance's range, read from the configuration on first
// use (init runs on one instance only).
var bounds *priceRange

func init() {
	starling.Controller("plugin", []string{"stats"}, stats)
	starling.Pipes([]string{"document:beforeCreate"}, checkPrice)
	starling.Hooks([]string{"auth:afterLogin"}, countLogin)
	starling.Init(func(config json.RawMessage) error {
		r, err := parseRange(config)
		if err != nil {
			return err
		}
		starling.Log(starling.Info, "price range ["+fmtFloat(r.MinPrice)+", "+fmtFloat(r.MaxPrice)+"]")
		return nil
	})
}

func main() {}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// parseRange reads a configuration; null keeps the defaults.
func parseRange(config json.RawMessage) (*priceRange, error) {
	r := &priceRange{MinPrice: 0, MaxPrice: 1000}
	if len(config) > 0 && string(config) != "null" {
		if err := json.Unmarshal(config, r); err != nil {
			return nil, errors.New("config: minPrice and maxPrice must be numbers")
		}
	}
	if r.MinPrice > r.MaxPrice {
		return nil, errors.New("config: minPrice must not exceed maxPrice")
	}
	return r, nil
}

func currentRange() *priceRange {
	if bounds == nil {
		r, err := parseRange(starling.Config())
		if err != nil {
			r = &priceRange{MinPrice: 0, MaxPrice: 1000}
		}
		bounds = r
	}
	return bounds
}

func checkPrice(ev *starling.Event) (*starling.Change, error) {
	r := currentRange()
	invalid := &starling.Error{ID: "api.assert.invalid_argument",
		Props: []any{"body.price", "a number between " + fmtFloat(r.MinPrice) + " and " + fmtFloat(r.MaxPrice)}}
	var body map[string]any
	if err := ev.Request.DecodeBody(&body); err != nil || body == nil {
		return nil, invalid
	}
	price, ok := body["price"].(float64)
	if !ok || price < r.MinPrice || price > r.MaxPrice {
		return nil, invalid
	}
	body["checkedBy"] = checkedBy
	out, err := starling.Marshal(body)
	if err != nil {
		return nil, err
	}
	return &starling.Change{Body: out}, nil
}

func countLogin(*starling.Event) error {
	if _, err := starling.StateIncr("logins", 1); err != nil {
		return errors.New("state_incr logins: " + err.Error())
	}
	return nil
}

func stats(*starling.Request) (any, error) {
	v, ok, err := starling.StateGet("logins")
	if err != nil {
		return nil, err
	}
	if !ok {
		return json.RawMessage(`{"logins":0}`), nil
	}
	return json.RawMessage(`{"logins":` + string(v) + `}`), nil
}
