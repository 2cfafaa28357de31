package documents

import "github.com/starlingmq/starling/internal/jsonx"

// updatedFieldsJSON is the _updatedFields of a notification (Kuzzle's
// extractFields of the changes) as a JSON array.
func updatedFieldsJSON(changes jsonx.RawMessage) jsonx.RawMessage {
	return mustJSON(updatedFields(changes, []string{}, ""))
}

// fieldOf returns the raw value of one key of a JSON object, nil when
// absent (the last one when repeated, as JSON.parse keeps it).
func fieldOf(raw jsonx.RawMessage, name string) jsonx.RawMessage {
	ms := members(raw)
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].key == name {
			return ms[i].value
		}
	}
	return nil
}
