package realtime

import (
	"github.com/starlingmq/starling/internal/jsonx"
)

// documentNotification is Kuzzle's document notification, keys in Kuzzle's
// order.
type documentNotification struct {
	Type       string           `json:"type"`
	Status     int              `json:"status"`
	Action     string           `json:"action"`
	Scope      string           `json:"scope"`
	Result     documentResult   `json:"result"`
	Node       string           `json:"node"`
	Event      string           `json:"event"`
	RequestID  string           `json:"requestId"`
	Timestamp  int64            `json:"timestamp"`
	Volatile   jsonx.RawMessage `json:"volatile"`
	Index      string           `json:"index"`
	Collection string           `json:"collection"`
	Controller string           `json:"controller"`
	Protocol   string           `json:"protocol,omitempty"`
}

// documentResult is a published document.
type documentResult struct {
	ID     jsonx.RawMessage `json:"_id,omitempty"`
	Source jsonx.RawMessage `json:"_source"`
}

// userNotification is Kuzzle's user notification, keys in Kuzzle's order.
type userNotification struct {
	Type       string           `json:"type"`
	Status     int              `json:"status"`
	User       string           `json:"user"`
	Result     userCount        `json:"result"`
	Node       string           `json:"node"`
	Timestamp  int64            `json:"timestamp"`
	Volatile   jsonx.RawMessage `json:"volatile"`
	Index      string           `json:"index"`
	Collection string           `json:"collection"`
	Controller string           `json:"controller"`
	Action     string           `json:"action"`
	Protocol   string           `json:"protocol,omitempty"`
}

// userCount is a user notification's result: the room's size.
type userCount struct {
	Count int `json:"count"`
}

// nullIfEmpty makes an absent volatile JSON null, as Kuzzle writes it.
func nullIfEmpty(raw jsonx.RawMessage) jsonx.RawMessage {
	if len(raw) == 0 {
		return jsonx.RawMessage("null")
	}
	return raw
}
