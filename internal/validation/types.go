package validation

import (
	"math"
	"strings"

	"github.com/starlingmq/starling/internal/kerror"
)

// checker validates one value of a field; it returns the error messages,
// none when the value is valid.
type checker func(v any) []string

// typeDef is one built-in field type: the type options it accepts, whether
// it may have children fields, and its compiler, which checks the type
// options and returns the value checker.
type typeDef struct {
	options  []string
	children bool
	compile  func(opts map[string]any, c *curator) (checker, error)
}

// builtinTypes are Kuzzle's types by name. Read-only.
var builtinTypes = map[string]typeDef{
	"anything":   {compile: compileAnything},
	"boolean":    {compile: compileBoolean},
	"date":       {options: []string{"range", "formats"}, compile: compileDate},
	"email":      {options: []string{"notEmpty"}, compile: compileEmail},
	"enum":       {options: []string{"values"}, compile: compileEnum},
	"geo_point":  {compile: compileGeoPoint},
	"geo_shape":  {options: []string{"shapeTypes"}, compile: compileGeoShape},
	"integer":    {options: []string{"range"}, compile: compileInteger},
	"ip_address": {options: []string{"notEmpty"}, compile: compileIPAddress},
	"numeric":    {options: []string{"range"}, compile: compileNumeric},
	"object":     {options: []string{"strict"}, children: true, compile: compileObject},
	"string":     {options: []string{"length"}, compile: compileString},
	"url":        {options: []string{"notEmpty"}, compile: compileURL},
}

func fails(msg string) []string { return []string{msg} }

func compileAnything(map[string]any, *curator) (checker, error) {
	return func(any) []string { return nil }, nil
}

func compileBoolean(map[string]any, *curator) (checker, error) {
	return func(v any) []string {
		if _, ok := v.(bool); !ok {
			return fails("The field must be of type boolean.")
		}
		return nil
	}, nil
}

func compileObject(opts map[string]any, _ *curator) (checker, error) {
	if s, ok := opts["strict"]; ok && !isBool(s) {
		return nil, kerror.New("validation.assert.invalid_type", "strict", "boolean")
	}
	return func(v any) []string {
		if !isPlainObject(v) {
			return fails("The value must be an object.")
		}
		return nil
	}, nil
}

func isBool(v any) bool {
	_, ok := v.(bool)
	return ok
}

func compileEnum(opts map[string]any, _ *curator) (checker, error) {
	raw, ok := opts["values"]
	if !ok {
		return nil, kerror.New("validation.types.missing_enum_values")
	}
	list, ok := raw.([]any)
	if !ok || len(list) == 0 {
		return nil, kerror.New("validation.assert.invalid_type", "values", "string[]")
	}
	values := make([]string, len(list))
	for i, v := range list {
		s, ok := v.(string)
		if !ok {
			return nil, kerror.New("validation.assert.invalid_type", "values", "string[]")
		}
		values[i] = s
	}
	msg := `The field only accepts following values: "` + strings.Join(values, ", ") + `".`
	return func(v any) []string {
		s, ok := v.(string)
		if !ok {
			return fails("The field must be a string.")
		}
		if !contains(values, s) {
			return fails(msg)
		}
		return nil
	}, nil
}

// bounds is a checked {min, max} type option.
type bounds struct {
	min, max       float64
	hasMin, hasMax bool
}

// compileBounds checks a range or length option, whose min and max must be
// numbers with min <= max.
func compileBounds(opts map[string]any, name string) (bounds, error) {
	var b bounds
	raw, ok := opts[name]
	if !ok {
		return b, nil
	}
	if !onlyKeys(raw, "min", "max") {
		return b, kerror.New("validation.assert.unexpected_properties", name, "min, max")
	}
	o := raw.(map[string]any)
	for _, prop := range []string{"min", "max"} {
		v, has := o[prop]
		if !has {
			continue
		}
		f, isNum := number(v)
		if !isNum {
			return b, kerror.New("validation.assert.invalid_type", name+"."+prop, "number")
		}
		if prop == "min" {
			b.min, b.hasMin = f, true
		} else {
			b.max, b.hasMax = f, true
		}
	}
	if b.hasMin && b.hasMax && b.max < b.min {
		return b, kerror.New("validation.assert.invalid_range", name, "min", "max")
	}
	return b, nil
}

func compileNumeric(opts map[string]any, _ *curator) (checker, error) {
	b, err := compileBounds(opts, "range")
	if err != nil {
		return nil, err
	}
	return func(v any) []string { return checkNumber(b, v) }, nil
}

func checkNumber(b bounds, v any) []string {
	f, ok := number(v)
	if !ok {
		return fails("The field must be a number.")
	}
	if b.hasMin && f < b.min {
		return fails("Value " + formatNumber(f) + " is lesser than the allowed minimum (" + formatNumber(b.min) + ")")
	}
	if b.hasMax && f > b.max {
		return fails("Value " + formatNumber(f) + " is greater than the allowed maximum (" + formatNumber(b.max) + ")")
	}
	return nil
}

func compileInteger(opts map[string]any, _ *curator) (checker, error) {
	b, err := compileBounds(opts, "range")
	if err != nil {
		return nil, err
	}
	return func(v any) []string {
		if msgs := checkNumber(b, v); msgs != nil {
			return msgs
		}
		if f, _ := number(v); math.IsInf(f, 0) || f != math.Trunc(f) {
			return fails("The field must be an integer.")
		}
		return nil
	}, nil
}

func compileString(opts map[string]any, _ *curator) (checker, error) {
	b, err := compileBounds(opts, "length")
	if err != nil {
		return nil, err
	}
	return func(v any) []string {
		s, ok := v.(string)
		if !ok {
			return fails("The field must be a string.")
		}
		n := float64(utf16Len(s))
		if b.hasMin && n < b.min {
			return fails("Invalid string length. Expected min: " + formatNumber(b.min) + ". Received: " + formatNumber(n) + ` ("` + s + `")`)
		}
		if b.hasMax && n > b.max {
			return fails("Invalid string length. Expected max: " + formatNumber(b.max) + ". Received: " + formatNumber(n) + ` ("` + s + `")`)
		}
		return nil
	}, nil
}

// notEmpty reads the notEmpty option of email, ip_address and url.
func notEmpty(opts map[string]any) (bool, error) {
	v, ok := opts["notEmpty"]
	if !ok {
		return false, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, kerror.New("validation.assert.invalid_type", "notEmpty", "boolean")
	}
	return b, nil
}

// compileFormatted builds the checker shared by email, ip_address and url:
// a string, possibly empty, else in the format valid accepts.
func compileFormatted(opts map[string]any, valid func(string) bool, invalid string) (checker, error) {
	nonEmpty, err := notEmpty(opts)
	if err != nil {
		return nil, err
	}
	return func(v any) []string {
		s, ok := v.(string)
		if !ok {
			return fails("The field must be a string.")
		}
		if s == "" {
			if nonEmpty {
				return fails("The string must not be empty.")
			}
			return nil
		}
		if !valid(s) {
			return fails(invalid)
		}
		return nil
	}, nil
}

func compileEmail(opts map[string]any, _ *curator) (checker, error) {
	return compileFormatted(opts, isEmail, "The string must be a valid email address.")
}

func compileIPAddress(opts map[string]any, _ *curator) (checker, error) {
	return compileFormatted(opts, isIP, "The string must be a valid IP address.")
}

func compileURL(opts map[string]any, _ *curator) (checker, error) {
	return compileFormatted(opts, isURL, "The string must be a valid URL.")
}

func compileGeoPoint(_ map[string]any, c *curator) (checker, error) {
	probe := c.probe
	return func(v any) []string {
		if !isGeoPoint(probe, v) {
			return fails("Invalid GeoPoint format")
		}
		return nil
	}, nil
}
