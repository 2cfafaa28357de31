package mapping

import (
	"bytes"
	"strings"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// buildField reads one field definition at path; multi is set for a
// multi-field, which must have a concrete type.
func buildField(path string, raw jsonx.RawMessage, multi bool) (*Field, error) {
	var def map[string]jsonx.RawMessage
	if !isObject(bytes.TrimSpace(raw)) || jsonx.Unmarshal(raw, &def) != nil {
		return nil, kerror.New("services.storage.wrong_mapping_property", path)
	}
	f := &Field{}
	if t, ok := def["type"]; ok {
		if jsonx.Unmarshal(t, &f.Type) != nil {
			return nil, kerror.New("services.storage.wrong_mapping_property", path+".type")
		}
	} else if multi {
		return nil, kerror.New("services.storage.unexpected_bad_request",
			"No type specified for field ["+path+"]")
	}
	info, ok := lookupType(f.Type)
	if !ok || (multi && f.IsObject()) {
		return nil, kerror.New("services.storage.invalid_mapping_type", path, f.Type)
	}
	if f.Type == "object" {
		f.Type = ""
	}
	var unsupported []string
	for _, key := range sortedKeys(def) {
		value := def[key]
		var err error
		switch {
		case key == "type":
		case key == "properties" && f.IsObject():
			f.Properties, err = buildProperties(path+".", value, false)
		case key == "dynamic" && f.IsObject():
			f.Dynamic = rawDynamic(value)
		case key == "fields" && !f.IsObject():
			f.Fields, err = buildProperties(path+".", value, true)
		case info.params[key]:
			if f.Options == nil {
				f.Options = map[string]jsonx.RawMessage{}
			}
			f.Options[key] = value
		default:
			unsupported = append(unsupported, key+" : "+strings.Trim(string(value), `"`))
		}
		if err != nil {
			return nil, err
		}
	}
	if len(unsupported) > 0 {
		return nil, kerror.New("services.storage.unexpected_properties", strings.Join(unsupported, "] ["), path)
	}
	if f.Type == "scaled_float" && f.Options["scaling_factor"] == nil {
		return nil, kerror.New("services.storage.unexpected_bad_request", "Field [scaling_factor] is required")
	}
	return f, nil
}
