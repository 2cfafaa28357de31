package realtime

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/starlingmq/starling/actors/connection"
	"github.com/starlingmq/starling/actors/realtime/roommsg"
	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// Controller returns the realtime API controller.
func (rt *Realtime) Controller() api.Controller {
	return api.Controller{Name: "realtime", Actions: map[string]api.Action{
		"subscribe":   rt.subscribe,
		"join":        rt.join,
		"unsubscribe": rt.unsubscribe,
		"count":       rt.count,
		"list":        rt.list,
		"publish":     rt.publish,
	}, Immediate: rt.immediate}
}

// immediate lets realtime:publish run on the goroutine that dispatches it:
// matching and handing notifications to the channels never wait, unless a
// filter runs guest code (the wasm keyword), which may take as long as a
// guest call.
func (rt *Realtime) immediate(action string) bool {
	return action == "publish" && !rt.engine.HasExternal()
}

// subscription is subscribe's and join's result, keys in Kuzzle's order.
type subscription struct {
	Channel string `json:"channel"`
	RoomID  string `json:"roomId"`
}

func (rt *Realtime) subscribe(ctx context.Context, req *api.Request) (any, error) {
	index, collection, err := indexAndCollection(req)
	if err != nil {
		return nil, err
	}
	if req.Body == nil {
		return nil, kerror.New("api.assert.body_required")
	}
	opts, err := subscriptionOptions(req)
	if err != nil {
		return nil, err
	}
	normalized, nerr := rt.engine.NormalizeJSON(index, collection, req.Body)
	if nerr != nil {
		var kerr *kerror.Error
		if errors.As(nerr, &kerr) && kerr.ID == limitMinterms.errorID() {
			// Sent before the answer leaves: server:metrics asked next counts it.
			rt.system.Root.Send(rt.rooms, refused{connectionID: req.Connection.ID, limit: limitMinterms, max: rt.engine.MaxMinterms()})
		}
		return nil, nerr
	}
	return rt.enter(ctx, req, join{filter: normalized, body: req.Body, roomID: normalized.ID, opts: opts})
}

func (rt *Realtime) join(ctx context.Context, req *api.Request) (any, error) {
	roomID, err := bodyString(req, "roomId")
	if err != nil {
		return nil, err
	}
	opts, err := subscriptionOptions(req)
	if err != nil {
		return nil, err
	}
	caller := api.CallerOf(ctx)
	return rt.enter(ctx, req, join{roomID: roomID, opts: opts, caller: &caller})
}

// enter asks the rooms actor to add the requesting connection to a room,
// then gives the connection its channel.
func (rt *Realtime) enter(ctx context.Context, req *api.Request, msg join) (any, error) {
	msg.connectionID = req.Connection.ID
	msg.event = eventOf(req, "subscribe")
	answer, err := rt.ask(ctx, msg)
	if err != nil {
		return nil, err
	}
	j := answer.(joined)
	if j.err != nil {
		return nil, j.err
	}
	if req.Connection.Protocol == "http" {
		// An HTTP connection ends with its answer, and its subscription
		// with it, as Kuzzle removes it once it answered.
		rt.system.Root.Send(rt.rooms, roommsg.Gone{ConnectionID: req.Connection.ID, Rooms: []string{j.roomID}})
	}
	if p := req.Connection.Protocol; p == "mqtt" || p == "websocket" {
		// Acknowledged before the response leaves: the connection holds the
		// grant before its client can learn the channel's name. A connection
		// already gone answers nothing; its rooms are left when it ends.
		_, _ = rt.system.Root.RequestFuture(connection.PID(rt.system, req.Connection.ID),
			connection.Granted{RoomID: j.roomID, Channel: j.channel}, askTimeout).Result()
	}
	return subscription{Channel: j.channel, RoomID: j.roomID}, nil
}

func (rt *Realtime) unsubscribe(ctx context.Context, req *api.Request) (any, error) {
	roomID, err := bodyString(req, "roomId")
	if err != nil {
		return nil, err
	}
	answer, aerr := rt.ask(ctx, leave{roomID: roomID, connectionID: req.Connection.ID, event: eventOf(req, "unsubscribe")})
	if aerr != nil {
		return nil, aerr
	}
	if kerr, _ := answer.(*kerror.Error); kerr != nil {
		return nil, kerr
	}
	if p := req.Connection.Protocol; p == "mqtt" || p == "websocket" {
		rt.system.Root.Send(connection.PID(rt.system, req.Connection.ID), connection.Revoked{RoomID: roomID})
	}
	return map[string]string{"roomId": roomID}, nil
}

func (rt *Realtime) count(ctx context.Context, req *api.Request) (any, error) {
	roomID, err := bodyString(req, "roomId")
	if err != nil {
		return nil, err
	}
	n, aerr := rt.ask(ctx, count{roomID: roomID})
	if aerr != nil {
		return nil, aerr
	}
	return map[string]int{"count": n.(int)}, nil
}

// list answers realtime:list with the collections whose subscriptions the
// caller may see: those it may subscribe to, as Kuzzle's hotelClerk.list
// (an index left without collection stays, empty).
func (rt *Realtime) list(ctx context.Context, _ *api.Request) (any, error) {
	answer, err := rt.ask(ctx, list{})
	if err != nil {
		return nil, err
	}
	caller := api.CallerOf(ctx)
	if rooms, ok := answer.(map[string]map[string]map[string]int); ok && caller.Rights != nil {
		for index, collections := range rooms {
			for collection := range collections {
				if !caller.May("realtime", "subscribe", index, collection) {
					delete(collections, collection)
				}
			}
		}
	}
	return answer, nil
}

// published is realtime:publish's result.
const published api.Compact = `{"published":true}`

// publish sends a document to the channels whose filters match it, without
// going through the rooms actor: the engine and the rooms' views are safe
// for concurrent reads.
func (rt *Realtime) publish(ctx context.Context, req *api.Request) (any, error) {
	if req.Body == nil {
		return nil, kerror.New("api.assert.body_required")
	}
	index, collection, err := indexAndCollection(req)
	if err != nil {
		return nil, err
	}
	// The notification is written first: the document tested is its
	// _source, Kuzzle's metadata included, and is not copied again.
	id, _, _ := req.String("_id")
	body := []byte(req.Body)
	if rt.validate != nil {
		var err error
		if body, err = rt.validate(index, collection, id, body); err != nil {
			return nil, err
		}
	}
	now := time.Now().UnixMilli()
	payload, source := rt.appendDocumentNotification(nil, req, body, index, collection, api.CallerOf(ctx).UserID, now)
	roomIDs, perr := rt.engine.TestJSONWithID(index, collection, source, id)
	if perr != nil {
		return nil, kerror.New("api.assert.invalid_argument", "body", "a JSON object")
	}
	rt.deliver(roomIDs, "in", payload)
	return published, nil
}

// appendWithKuzzleInfo appends a published body with Kuzzle's
// _kuzzle_info metadata added (author: the publisher's kuid).
func appendWithKuzzleInfo(dst, body []byte, author string, now int64) []byte {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) < 2 || trimmed[0] != '{' {
		return append(dst, body...) // an array body: JavaScript drops the property when serializing
	}
	if bytes.Contains(trimmed, []byte(`"_kuzzle_info"`)) {
		var doc map[string]jsonx.RawMessage
		if err := jsonx.Unmarshal(trimmed, &doc); err == nil {
			doc["_kuzzle_info"] = appendKuzzleInfo(nil, author, now)
			if out, err := jsonx.Marshal(doc); err == nil {
				return append(dst, out...)
			}
		}
	}
	dst = append(dst, trimmed[:len(trimmed)-1]...)
	if len(bytes.TrimSpace(trimmed[1:len(trimmed)-1])) > 0 {
		dst = append(dst, ',')
	}
	dst = append(dst, `"_kuzzle_info":`...)
	return append(appendKuzzleInfo(dst, author, now), '}')
}

// appendKuzzleInfo appends the _kuzzle_info object of a document published
// at now by author.
func appendKuzzleInfo(dst []byte, author string, now int64) []byte {
	dst = append(dst, `{"author":`...)
	dst = jsonx.AppendString(dst, author)
	dst = append(dst, `,"createdAt":`...)
	return append(strconv.AppendInt(dst, now, 10), '}')
}

// eventOf keeps what a user notification needs from a request.
func eventOf(req *api.Request, action string) event {
	return event{action: action, protocol: req.Connection.Protocol, timestamp: time.Now().UnixMilli(), volatile: req.Volatile}
}

// indexAndCollection reads the index and collection arguments, both
// required, as Kuzzle's getIndexAndCollection does.
func indexAndCollection(req *api.Request) (string, string, *kerror.Error) {
	index, _, err := req.String("index")
	if err != nil {
		return "", "", err
	}
	if index == "" {
		return "", "", kerror.New("api.assert.missing_argument", "index")
	}
	collection, _, err := req.String("collection")
	if err != nil {
		return "", "", err
	}
	if collection == "" {
		return "", "", kerror.New("api.assert.missing_argument", "collection")
	}
	return index, collection, nil
}

// subscriptionOptions reads and checks the scope and users arguments.
func subscriptionOptions(req *api.Request) (options, *kerror.Error) {
	scope, hasScope, err := optionArg(req, "scope")
	if err != nil {
		return options{}, kerror.New("core.realtime.invalid_scope")
	}
	users, hasUsers, err := optionArg(req, "users")
	if err != nil {
		return options{}, kerror.New("core.realtime.invalid_users")
	}
	return parseOptions(scope, hasScope, users, hasUsers)
}

// optionArg reads an option: absent gives false; present but not a string
// (null included) is an invalid value.
func optionArg(req *api.Request, name string) (string, bool, *kerror.Error) {
	raw := req.Arg(name)
	if raw == nil {
		return "", false, nil
	}
	s, ok, err := req.String(name)
	if err != nil || !ok {
		return "", true, kerror.New("api.assert.invalid_type", name, "string")
	}
	return s, true, nil
}

// bodyString reads a required string field of the body, as Kuzzle's
// getBodyString does.
func bodyString(req *api.Request, name string) (string, *kerror.Error) {
	if req.Body == nil {
		return "", kerror.New("api.assert.body_required")
	}
	var body map[string]jsonx.RawMessage
	if req.Body[0] != '{' || jsonx.Unmarshal(req.Body, &body) != nil {
		return "", kerror.New("api.assert.missing_argument", "body."+name)
	}
	raw, ok := body[name]
	if !ok {
		return "", kerror.New("api.assert.missing_argument", "body."+name)
	}
	var s string
	if len(raw) == 0 || raw[0] != '"' || jsonx.Unmarshal(raw, &s) != nil {
		return "", kerror.New("api.assert.invalid_type", "body."+name, "string")
	}
	return s, nil
}
