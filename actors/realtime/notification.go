package realtime

import (
	"strconv"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
)

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

// appendDocumentNotification appends the notification of a published
// document, encoded once for every channel it goes to, and returns it with
// its _source: the body with Kuzzle's metadata. It is documentNotification
// written by hand, in its order, in one buffer.
func (rt *Realtime) appendDocumentNotification(dst []byte, req *api.Request, body []byte, index, collection, author string, now int64) (payload, source []byte) {
	id, volatile := req.Arg("_id"), nullIfEmpty(req.Volatile)
	if dst == nil {
		dst = make([]byte, 0, 320+len(body)+len(id)+len(volatile)+len(req.ID)+len(index)+len(collection))
	}
	dst = append(dst, `{"type":"document","status":200,"action":"publish","scope":"in","result":{`...)
	if len(id) > 0 {
		dst = append(dst, `"_id":`...)
		dst = append(dst, id...)
		dst = append(dst, ',')
	}
	dst = append(dst, `"_source":`...)
	start := len(dst)
	dst = appendWithKuzzleInfo(dst, body, author, now)
	end := len(dst)
	dst = append(dst, `},"node":`...)
	dst = jsonx.AppendString(dst, rt.node)
	dst = append(dst, `,"event":"publish","requestId":`...)
	dst = jsonx.AppendString(dst, req.ID)
	dst = append(dst, `,"timestamp":`...)
	dst = strconv.AppendInt(dst, now, 10)
	dst = append(dst, `,"volatile":`...)
	dst = append(dst, volatile...)
	dst = append(dst, `,"index":`...)
	dst = jsonx.AppendString(dst, index)
	dst = append(dst, `,"collection":`...)
	dst = jsonx.AppendString(dst, collection)
	dst = append(dst, `,"controller":"realtime"`...)
	if p := req.Connection.Protocol; p != "" {
		dst = append(dst, `,"protocol":`...)
		dst = jsonx.AppendString(dst, p)
	}
	dst = append(dst, '}')
	return dst, dst[start:end:end]
}
