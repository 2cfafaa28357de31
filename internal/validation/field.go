package validation

import (
	"sort"
	"strings"

	"github.com/starlingmq/starling/internal/kerror"
)

// fieldProperties are the properties a field specification may hold.
var fieldProperties = []string{"mandatory", "type", "defaultValue", "description", "multivalued", "typeOptions"}

// field is curateFieldSpecification: the field's format, then its type
// options. A nil field with a nil error means the problems went to
// c.details (verbose mode).
func (c *curator) field(name string, spec any) (*Field, error) {
	before := len(c.details)
	f, err := c.fieldFormat(name, spec)
	if err != nil || f == nil || len(c.details) > before {
		return nil, err
	}
	o := spec.(map[string]any)
	opts, present := o["typeOptions"]
	if !present {
		opts = map[string]any{}
	}
	def := builtinTypes[f.typ]
	if !onlyKeys(opts, def.options...) {
		err := kerror.New("validation.assert.unexpected_properties", c.name(name), strings.Join(def.options, ", "))
		if e := c.fail(err); e != nil {
			return nil, e
		}
	}
	if m, ok := opts.(map[string]any); ok {
		check, err := def.compile(m, c)
		if err != nil {
			ke, ok := err.(*kerror.Error)
			if !ok {
				ke = kerror.New("plugin.runtime.unexpected_error", err.Error())
			}
			if e := c.fail(ke); e != nil {
				return nil, e
			}
		}
		f.check = check
		if def.children {
			if s, ok := m["strict"].(bool); ok {
				f.strict = &s
			}
		}
	}
	if len(c.details) > before {
		return nil, nil
	}
	return f, nil
}

// fieldFormat is curateFieldSpecificationFormat: the field's properties,
// type and multivalued settings.
func (c *curator) fieldFormat(name string, spec any) (*Field, error) {
	before := len(c.details)
	if !onlyKeys(spec, fieldProperties...) {
		err := kerror.New("validation.assert.unexpected_properties", c.name(name), strings.Join(fieldProperties, ", "))
		if e := c.fail(err); e != nil {
			return nil, e
		}
	}
	if spec == nil { // Kuzzle's has(null, "type") throws this TypeError
		c.details = append(c.details[:before], "Cannot convert undefined or null to object")
		return nil, nil
	}
	o, _ := spec.(map[string]any)
	typ, hasType := o["type"]
	if !hasType {
		if e := c.fail(kerror.New("validation.assert.missing_type", c.name(name))); e != nil {
			return nil, e
		}
	}
	typeName, _ := typ.(string)
	if _, known := builtinTypes[typeName]; !known || !isString(typ) {
		shown := "undefined"
		if hasType {
			shown = inspect(typ, true)
		}
		if e := c.fail(kerror.New("validation.assert.unknown_type", c.name(name), shown)); e != nil {
			return nil, e
		}
	}
	f := &Field{
		path: strings.Split(name, "/"), typ: typeName, mandatory: truthy(o["mandatory"]),
	}
	f.defaultValue, f.hasDefault = o["defaultValue"]
	if mv, ok := o["multivalued"]; ok {
		if err := c.multivalued(name, mv, f); err != nil {
			return nil, err
		}
		if mv == nil {
			c.details = append(c.details[:before], "Cannot read properties of null (reading 'value')")
		}
	}
	if len(c.details) > before {
		return nil, nil
	}
	return f, nil
}

// multivalued checks {value, minCount, maxCount}.
func (c *curator) multivalued(name string, mv any, f *Field) error {
	checks := []func() *kerror.Error{
		func() *kerror.Error {
			props := []string{"value", "minCount", "maxCount"}
			if !onlyKeys(mv, props...) {
				return kerror.New("validation.assert.unexpected_properties", c.name(name, "multivalued"), strings.Join(props, ", "))
			}
			return nil
		},
	}
	o, _ := mv.(map[string]any)
	value, hasValue := o["value"]
	checks = append(checks, func() *kerror.Error {
		if !hasValue {
			return kerror.New("validation.assert.missing_value", c.name(name, "multivalued"))
		}
		return nil
	}, func() *kerror.Error {
		if _, ok := value.(bool); !ok {
			return kerror.New("validation.assert.invalid_type", c.name(name, "multivalued", "value"), "boolean")
		}
		return nil
	})
	f.multivalued, _ = value.(bool)
	f.minCount, f.hasMin = o["minCount"]
	f.maxCount, f.hasMax = o["maxCount"]
	for _, prop := range []string{"minCount", "maxCount"} {
		checks = append(checks, func() *kerror.Error {
			if _, has := o[prop]; has && !truthy(value) {
				return kerror.New("validation.assert.not_multivalued", c.name(name), prop)
			}
			return nil
		})
	}
	checks = append(checks, func() *kerror.Error {
		if f.hasMin && f.hasMax && toNumber(f.minCount) > toNumber(f.maxCount) {
			return kerror.New("validation.assert.invalid_range", c.name(name), "minCount", "maxCount")
		}
		return nil
	})
	for _, check := range checks {
		if err := check(); err != nil {
			if e := c.fail(err); e != nil {
				return e
			}
		}
	}
	return nil
}

func isString(v any) bool {
	_, ok := v.(string)
	return ok
}

// inspect renders a value as Node's util.format("%s") does: strings as
// they are at the top, objects and arrays shallowly inspected.
func inspect(v any, top bool) string {
	switch x := v.(type) {
	case string:
		if top {
			return x
		}
		return "'" + x + "'"
	case []any:
		if !top {
			return "[Array]"
		}
		if len(x) == 0 {
			return "[]"
		}
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = inspect(e, false)
		}
		return "[ " + strings.Join(parts, ", ") + " ]"
	case map[string]any:
		if !top {
			return "[Object]"
		}
		if len(x) == 0 {
			return "{}"
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + inspect(x[k], false)
		}
		return "{ " + strings.Join(parts, ", ") + " }"
	}
	return jsString(v)
}
