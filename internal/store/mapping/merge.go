package mapping

import (
	"bytes"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// Merge applies update to old as Elasticsearch's put-mapping does, and
// returns the result; neither argument is modified.
//
//   - dynamic, _meta and dynamic_templates are replaced when update gives
//     them, kept otherwise;
//   - new fields (and new multi-fields) are added;
//   - an existing field keeps its type: changing it, or turning an object
//     into a concrete field, a nested into an object or back, fails with
//     services.storage.cannot_change_mapping naming the field's path;
//   - an existing field's parameters may change only for those
//     Elasticsearch updates in place (ignore_above, search analyzers, ...);
//     another parameter given with a different value fails with
//     services.storage.unexpected_bad_request and Elasticsearch's message.
//     A parameter the update leaves out keeps its value.
func Merge(old, update *Mappings) (*Mappings, error) {
	out := old.Clone()
	if update == nil {
		return out, nil
	}
	if update.Dynamic != "" {
		out.Dynamic = update.Dynamic
	}
	if update.Meta != nil {
		out.Meta = update.Meta
	}
	if update.DynamicTemplates != nil {
		out.DynamicTemplates = update.DynamicTemplates
	}
	props, err := mergeProperties("", out.Properties, update.Properties)
	if err != nil {
		return nil, err
	}
	out.Properties = props
	return out, nil
}

// mergeProperties merges update into old (which it may modify; new fields
// are copied).
func mergeProperties(prefix string, old, update map[string]*Field) (map[string]*Field, error) {
	if len(update) == 0 {
		return old, nil
	}
	if old == nil {
		old = make(map[string]*Field, len(update))
	}
	for _, name := range sortedKeys(update) {
		current, ok := old[name]
		if !ok {
			old[name] = update[name].Clone()
			continue
		}
		merged, err := mergeField(prefix+name, current, update[name])
		if err != nil {
			return nil, err
		}
		old[name] = merged
	}
	return old, nil
}

// mergeField merges the update u of the field at path into old (which it
// may modify).
func mergeField(path string, old, u *Field) (*Field, error) {
	if old.IsObject() != u.IsObject() || (old.Type == "nested") != (u.Type == "nested") ||
		(!old.IsObject() && old.Type != u.Type) {
		return nil, kerror.New("services.storage.cannot_change_mapping", path)
	}
	if u.Dynamic != "" {
		old.Dynamic = u.Dynamic
	}
	for _, key := range sortedKeys(u.Options) {
		value, had := old.Options[key]
		if had && !updatable(key) && !sameJSON(value, u.Options[key]) {
			return nil, kerror.New("services.storage.unexpected_bad_request",
				"Mapper for ["+path+"] conflicts with existing mapper:\n\tCannot update parameter ["+
					key+"] from ["+string(value)+"] to ["+string(u.Options[key])+"]")
		}
		if old.Options == nil {
			old.Options = map[string]jsonx.RawMessage{}
		}
		old.Options[key] = u.Options[key]
	}
	var err error
	if old.Properties, err = mergeProperties(path+".", old.Properties, u.Properties); err != nil {
		return nil, err
	}
	if old.Fields, err = mergeProperties(path+".", old.Fields, u.Fields); err != nil {
		return nil, err
	}
	return old, nil
}

// updatable reports whether Elasticsearch 7 lets put-mapping change the
// parameter of an existing field.
func updatable(param string) bool {
	switch param {
	case "ignore_above", "search_analyzer", "search_quote_analyzer", "boost",
		"eager_global_ordinals", "fielddata", "fielddata_frequency_filter",
		"ignore_malformed", "meta":
		return true
	}
	return false
}

// sameJSON compares two raw values, ignoring surrounding space.
func sameJSON(a, b jsonx.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(a), bytes.TrimSpace(b))
}
