package realtime

import (
	"slices"
	"strconv"
	"time"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
)

// DocumentChange is one stored document's change, as Kuzzle's notifier
// receives it.
type DocumentChange struct {
	// Action is "create", "replace", "update" or "delete".
	Action string
	// ID is the document's _id.
	ID string
	// Source is the document now (for a delete: as it was).
	Source []byte
	// Previous is the document before a replace or update, nil otherwise.
	Previous []byte
	// Result is the notification's result object.
	Result []byte
}

// NotifyDocument sends Kuzzle's notifications of one change made by req
// on index/collection, as core/realtime/notifier.js does: the rooms the
// document matches are told scope "in" (a delete: "out"), and the rooms its
// previous version matched and it no longer does are told "out". It runs on
// the caller's goroutine and never blocks.
func (rt *Realtime) NotifyDocument(req *api.Request, index, collection string, c DocumentChange) {
	if !rt.engine.HasFilters(index, collection) {
		return // nobody listens: the document need not be read
	}
	now, err := rt.engine.TestJSONWithID(index, collection, c.Source, c.ID)
	if err != nil {
		rt.log.Warn("a stored document could not be tested against the filters", "index", index, "collection", collection, "_id", c.ID, "error", err)
		return
	}
	var left []string
	switch {
	case c.Action == "delete":
		now, left = nil, now
	case c.Previous != nil:
		before, err := rt.engine.TestJSONWithID(index, collection, c.Previous, c.ID)
		if err == nil {
			left = slices.DeleteFunc(before, func(room string) bool { return slices.Contains(now, room) })
		}
	}
	ts := time.Now().UnixMilli()
	if len(now) > 0 {
		rt.deliver(now, "in", appendStoredNotification(nil, rt.node, req, index, collection, "in", c, ts))
	}
	if len(left) > 0 {
		rt.deliver(left, "out", appendStoredNotification(nil, rt.node, req, index, collection, "out", c, ts))
	}
}

// appendStoredNotification appends Kuzzle's DocumentNotification of a
// stored document's change, keys in Kuzzle's order.
func appendStoredNotification(dst []byte, node string, req *api.Request, index, collection, scope string, c DocumentChange, now int64) []byte {
	event := "write"
	if c.Action == "delete" {
		event = "delete"
	}
	dst = append(dst, `{"type":"document","status":200,"action":`...)
	dst = jsonx.AppendString(dst, c.Action)
	dst = append(dst, `,"scope":"`...)
	dst = append(dst, scope...)
	dst = append(dst, `","result":`...)
	dst = append(dst, c.Result...)
	dst = append(dst, `,"node":`...)
	dst = jsonx.AppendString(dst, node)
	dst = append(dst, `,"event":"`...)
	dst = append(dst, event...)
	dst = append(dst, `","requestId":`...)
	dst = jsonx.AppendString(dst, req.ID)
	dst = append(dst, `,"timestamp":`...)
	dst = strconv.AppendInt(dst, now, 10)
	dst = append(dst, `,"volatile":`...)
	dst = append(dst, nullIfEmpty(req.Volatile)...)
	dst = append(dst, `,"index":`...)
	dst = jsonx.AppendString(dst, index)
	dst = append(dst, `,"collection":`...)
	dst = jsonx.AppendString(dst, collection)
	dst = append(dst, `,"controller":`...)
	dst = jsonx.AppendString(dst, req.Controller)
	if p := req.Connection.Protocol; p != "" {
		dst = append(dst, `,"protocol":`...)
		dst = jsonx.AppendString(dst, p)
	}
	return append(dst, '}')
}
