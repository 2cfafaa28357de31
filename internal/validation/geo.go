package validation

import (
	"strings"

	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/koncorde"
)

// Geo points and distances are read by the filter engine, as Kuzzle reads
// them with koncorde: a geoDistance filter on the value is valid exactly
// when the value is a geopoint koncorde accepts and the distance one it
// converts.

func isGeoPoint(probe *koncorde.Engine, v any) bool {
	filter := map[string]any{"geoDistance": map[string]any{"p": v, "distance": "1m"}}
	return probe.Validate(filter) == nil
}

func isDistance(probe *koncorde.Engine, s string) bool {
	filter := map[string]any{"geoDistance": map[string]any{"p": []any{0.0, 0.0}, "distance": s}}
	return probe.Validate(filter) == nil
}

var (
	shapeProperties   = []string{"type", "coordinates", "radius", "orientation", "geometries"}
	shapeOrientations = []string{"right", "ccw", "counterclockwise", "left", "cw", "clockwise"}
	shapeTypes        = []string{"point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection", "envelope", "circle"}
)

func compileGeoShape(opts map[string]any, c *curator) (checker, error) {
	allowed := shapeTypes
	if raw, ok := opts["shapeTypes"]; ok {
		list, ok := raw.([]any)
		if !ok || len(list) == 0 {
			return nil, kerror.New("validation.assert.invalid_type", "shapeTypes", "string[]")
		}
		allowed = nil
		var invalid []string
		for _, v := range list {
			s, ok := v.(string)
			if !ok || !contains(shapeTypes, s) {
				invalid = append(invalid, inspect(v, false))
				continue
			}
			allowed = append(allowed, s)
		}
		if invalid != nil {
			return nil, kerror.New("validation.types.invalid_geoshape", "[ "+strings.Join(invalid, ", ")+" ]")
		}
	}
	g := &shapeChecker{allowed: allowed, probe: c.probe}
	return func(v any) []string {
		var msgs []string
		if !g.shape(v, &msgs) && len(msgs) == 0 {
			msgs = fails("An error has occurred during validation.")
		}
		return msgs
	}, nil
}

type shapeChecker struct {
	allowed []string
	probe   *koncorde.Engine
}

// shape is recursiveShapeValidation.
func (g *shapeChecker) shape(v any, msgs *[]string) bool {
	if !g.structure(v, msgs) {
		return false
	}
	o := v.(map[string]any)
	typ := o["type"].(string)
	coords := o["coordinates"]
	var valid func(any) bool
	result := true
	switch typ {
	case "point", "multipoint":
		valid = isPoint
	case "linestring", "multilinestring":
		valid = isLine
	case "polygon", "multipolygon":
		valid = isPolygon
		if or := o["orientation"]; truthy(or) && !(isString(or) && contains(shapeOrientations, or.(string))) {
			*msgs = append(*msgs, "The orientation property has not a valid value.")
			result = false
		}
	case "geometrycollection":
		valid = func(any) bool { return true }
		for _, geometry := range o["geometries"].([]any) {
			if !g.shape(geometry, msgs) {
				result = false
			}
		}
	case "envelope":
		valid = isEnvelope
	case "circle":
		valid = isPoint
		if !g.radius(o["radius"]) {
			*msgs = append(*msgs, "The radius property has not a valid format.")
			result = false
		}
	}
	if typ == "multipoint" || typ == "multilinestring" || typ == "multipolygon" {
		for _, c := range coords.([]any) {
			if !valid(c) {
				*msgs = append(*msgs, `One of the shapes in  the shape type "`+typ+`" has bad coordinates.`)
				return false
			}
		}
		return result
	}
	if !valid(coords) {
		*msgs = append(*msgs, `The shape type "`+typ+`" has bad coordinates.`)
		return false
	}
	return result
}

func (g *shapeChecker) radius(r any) bool {
	if s, ok := r.(string); ok {
		return isDistance(g.probe, s)
	}
	_, ok := number(r)
	return ok
}

// structure is checkStructure: the properties a shape of its type must and
// must not have. A shape passing it is an object with an allowed string
// type, and coordinates or geometries arrays as its type needs.
func (g *shapeChecker) structure(v any, msgs *[]string) bool {
	o, _ := v.(map[string]any)
	typ, isStr := o["type"].(string)
	if !truthy(o["type"]) {
		*msgs = append(*msgs, "The shape object has no type defined.")
		return false
	}
	shown := jsString(o["type"])
	result := true
	add := func(msg string) { *msgs = append(*msgs, msg); result = false }
	if !onlyKeys(v, shapeProperties...) {
		add("The shape object has a not allowed property.")
	}
	if !isStr || !contains(g.allowed, typ) {
		add("The provided shape type is not allowed.")
	}
	_, isArray := o["coordinates"].([]any)
	if typ == "geometrycollection" && truthy(o["coordinates"]) {
		add(`The coordinates property must not be provided for the "geometrycollection" shape type.`)
	}
	if typ != "geometrycollection" && (!truthy(o["coordinates"]) || !isArray) {
		add(`The coordinates property must be provided for the "` + shown + `" shape type.`)
	}
	if typ == "circle" && !truthy(o["radius"]) {
		add(`The radius property is mandatory for the "circle" shape type.`)
	}
	if typ != "circle" && truthy(o["radius"]) {
		add(`The radius property must not be provided for the "` + shown + `" shape type.`)
	}
	if typ != "polygon" && typ != "multipolygon" && truthy(o["orientation"]) {
		add(`The orientation property must not be provided for the "` + shown + `" shape type.`)
	}
	if typ != "geometrycollection" && truthy(o["geometries"]) {
		add(`The geometries property must not be provided for the "` + shown + `" shape type.`)
	}
	if _, ok := o["geometries"].([]any); typ == "geometrycollection" && !ok {
		add(`The geometries property must be provided for the "geometrycollection" shape type.`)
	}
	return result
}

func isPoint(v any) bool {
	p, ok := v.([]any)
	if !ok || len(p) != 2 {
		return false
	}
	lon, lat := toNumber(p[0]), toNumber(p[1])
	return !(lon < -180 || lon > 180 || lat < -90 || lat > 90)
}

func isLine(v any) bool {
	l, ok := v.([]any)
	if !ok || len(l) < 2 {
		return false
	}
	for _, p := range l {
		if !isPoint(p) {
			return false
		}
	}
	return true
}

func isPolygon(v any) bool {
	parts, ok := v.([]any)
	if !ok {
		return false
	}
	for _, part := range parts {
		ring, ok := part.([]any)
		if !ok || len(ring) < 4 || !isLine(ring) {
			return false
		}
		first, last := ring[0].([]any), ring[len(ring)-1].([]any)
		if !strictEqual(first[0], last[0]) || !strictEqual(first[1], last[1]) {
			return false
		}
	}
	return true
}

func isEnvelope(v any) bool {
	e, ok := v.([]any)
	return ok && len(e) == 2 && isPoint(e[0]) && isPoint(e[1])
}
