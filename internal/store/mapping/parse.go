package mapping

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// Parse reads a mappings object, {"dynamic", "_meta", "properties",
// "dynamic_templates"}, and validates it as Kuzzle then Elasticsearch would:
//
//   - every dynamic setting, anywhere, must be "true", "false", "strict" or
//     a boolean (services.storage.invalid_mapping);
//   - the root and every object with properties accept only properties,
//     _meta, dynamic, dynamic_templates (and type below the root)
//     (services.storage.invalid_mapping with the property's path);
//   - a field's type must be a supported one
//     (services.storage.invalid_mapping_type);
//   - a field accepts only its type's parameters
//     (services.storage.unexpected_properties);
//   - a definition that is not an object, or a type that is not a string,
//     gives services.storage.wrong_mapping_property.
//
// An empty or null raw gives empty mappings (Dynamic "", no property).
// Dotted field names ("a.b") are expanded into objects, as Elasticsearch
// does. Object fields are returned with Type "" or "nested".
func Parse(raw jsonx.RawMessage) (*Mappings, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return &Mappings{}, nil
	}
	var tree any
	if err := jsonx.Unmarshal(raw, &tree); err != nil {
		return nil, kerror.New("api.assert.invalid_type", "mappings", "object")
	}
	root, ok := tree.(map[string]any)
	if !ok {
		return nil, kerror.New("api.assert.invalid_type", "mappings", "object")
	}
	if err := checkDynamic(root, ""); err != nil {
		return nil, err
	}
	if err := checkMappings(root, "", true); err != nil {
		return nil, err
	}
	return build(raw)
}

// checkDynamic is Kuzzle's _checkDynamicProperty: every "dynamic" key of
// every object of the tree, whatever its place, must hold a boolean or one
// of the three strings.
func checkDynamic(obj map[string]any, prefix string) error {
	if value, ok := obj["dynamic"]; ok {
		path := prefix + "dynamic"
		text, err := dynamicText(value)
		if err != nil {
			return kerror.New("services.storage.invalid_mapping", path, err.Error())
		}
		if text != DynamicTrue && text != DynamicFalse && text != DynamicStrict {
			return kerror.New("services.storage.invalid_mapping", path, fmt.Sprintf(
				"Incorrect dynamic property value (%s). Should be one of \"true\", \"false\", \"strict\"", text))
		}
	}
	for _, key := range sortedKeys(obj) {
		if child, ok := obj[key].(map[string]any); ok {
			if err := checkDynamic(child, prefix+key+"."); err != nil {
				return err
			}
		}
	}
	return nil
}

// dynamicText turns a dynamic setting into its string form: Kuzzle accepts
// booleans for their string, and refuses any other non-string.
func dynamicText(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		if x {
			return DynamicTrue, nil
		}
		return DynamicFalse, nil
	}
	return "", fmt.Errorf("Dynamic property value should be a string.")
}

// checkMappings is Kuzzle's _checkMappings: the keys of the root, and of
// every field that has properties, must be mapping properties. Below
// "properties" the keys are field names and are not checked themselves.
func checkMappings(obj map[string]any, prefix string, check bool) error {
	for _, key := range sortedKeys(obj) {
		if check && !rootProperty(key, prefix != "") {
			return kerror.New("services.storage.invalid_mapping", prefix+key, "")
		}
		child, _ := obj[key].(map[string]any)
		switch {
		case child == nil:
		case key == "properties":
			if err := checkMappings(child, prefix+"properties.", false); err != nil {
				return err
			}
		case child["properties"] != nil:
			if err := checkMappings(child, prefix+key+".", true); err != nil {
				return err
			}
		}
	}
	return nil
}

func rootProperty(key string, child bool) bool {
	switch key {
	case "properties", "_meta", "dynamic", "dynamic_templates":
		return true
	}
	return child && key == "type"
}

// build turns a checked mappings object into Mappings.
func build(raw jsonx.RawMessage) (*Mappings, error) {
	var root map[string]jsonx.RawMessage
	if err := jsonx.Unmarshal(raw, &root); err != nil {
		return nil, fmt.Errorf("mappings: %w", err)
	}
	m := &Mappings{Dynamic: rawDynamic(root["dynamic"])}
	if meta, ok := root["_meta"]; ok && !isNull(meta) {
		if !isObject(meta) {
			return nil, kerror.New("services.storage.wrong_mapping_property", "_meta")
		}
		m.Meta = meta
	}
	if tpl, ok := root["dynamic_templates"]; ok && !isNull(tpl) {
		if len(tpl) == 0 || tpl[0] != '[' {
			return nil, kerror.New("services.storage.wrong_mapping_property", "dynamic_templates")
		}
		m.DynamicTemplates = tpl
	}
	props, err := buildProperties("", root["properties"], false)
	if err != nil {
		return nil, err
	}
	m.Properties = props
	return m, nil
}

// buildProperties reads a properties (or, with multi set, a fields) object
// whose fields are below prefix.
func buildProperties(prefix string, raw jsonx.RawMessage, multi bool) (map[string]*Field, error) {
	if len(raw) == 0 || isNull(raw) {
		return nil, nil
	}
	var defs map[string]jsonx.RawMessage
	if err := jsonx.Unmarshal(raw, &defs); err != nil {
		what := "properties"
		if multi {
			what = "fields"
		}
		return nil, kerror.New("services.storage.wrong_mapping_property", prefix+what)
	}
	props := make(map[string]*Field, len(defs))
	for _, name := range sortedKeys(defs) {
		if err := addProperty(props, prefix, name, defs[name], multi); err != nil {
			return nil, err
		}
	}
	return props, nil
}

// addProperty builds one field definition into props, expanding a dotted
// name into objects.
func addProperty(props map[string]*Field, prefix, name string, raw jsonx.RawMessage, multi bool) error {
	if name == "" || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") {
		return kerror.New("services.storage.unexpected_bad_request",
			fmt.Sprintf("field name cannot be an empty string [%s%s]", prefix, name))
	}
	head, rest, dotted := strings.Cut(name, ".")
	if dotted && !multi {
		inner := map[string]*Field{}
		if err := addProperty(inner, prefix+head+".", rest, raw, false); err != nil {
			return err
		}
		return mergeInto(props, prefix, head, &Field{Properties: inner})
	}
	f, err := buildField(prefix+name, raw, multi)
	if err != nil {
		return err
	}
	return mergeInto(props, prefix, name, f)
}

// mergeInto adds f to props under name, merged with a field already there.
func mergeInto(props map[string]*Field, prefix, name string, f *Field) error {
	old, ok := props[name]
	if !ok {
		props[name] = f
		return nil
	}
	merged, err := mergeField(prefix+name, old, f)
	if err != nil {
		return err
	}
	props[name] = merged
	return nil
}

func isNull(raw jsonx.RawMessage) bool   { return string(bytes.TrimSpace(raw)) == "null" }
func isObject(raw jsonx.RawMessage) bool { return len(raw) > 0 && raw[0] == '{' }

// rawDynamic reads an already checked dynamic setting.
func rawDynamic(raw jsonx.RawMessage) string {
	switch s := strings.Trim(string(bytes.TrimSpace(raw)), `"`); s {
	case "true", "false", "strict":
		return s
	}
	return ""
}
