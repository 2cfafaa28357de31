package node_test

import (
	"strings"
	"testing"

	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/jsonx"
)

// notification is a decoded realtime notification.
type notification struct {
	Type       string           `json:"type"`
	Status     int              `json:"status"`
	Action     string           `json:"action"`
	Scope      string           `json:"scope"`
	User       string           `json:"user"`
	Event      string           `json:"event"`
	RequestID  string           `json:"requestId"`
	Index      string           `json:"index"`
	Collection string           `json:"collection"`
	Controller string           `json:"controller"`
	Protocol   string           `json:"protocol"`
	Node       string           `json:"node"`
	Timestamp  int64            `json:"timestamp"`
	Volatile   jsonx.RawMessage `json:"volatile"`
	Result     struct {
		ID     string         `json:"_id"`
		Source map[string]any `json:"_source"`
		Count  int            `json:"count"`
	} `json:"result"`
	raw []byte
}

// nextNotification waits for the next message, which must come on topic.
func nextNotification(t *testing.T, c client, topic string) notification {
	t.Helper()
	r := nextMessage(t, c)
	if r.topic != topic {
		t.Fatalf("message on %s, want %s: %s", r.topic, topic, r.payload)
	}
	var n notification
	if err := jsonx.Unmarshal(r.payload, &n); err != nil {
		t.Fatalf("notification is not JSON: %v: %s", err, r.payload)
	}
	n.raw = r.payload
	return n
}

// sub is a realtime subscription's result.
type sub struct {
	RoomID  string `json:"roomId"`
	Channel string `json:"channel"`
}

// subscribe calls realtime:subscribe and MQTT-subscribes to the channel.
func subscribe(t *testing.T, c client, filter, extra string) sub {
	t.Helper()
	r := request(t, c, `{"controller":"realtime","action":"subscribe","index":"i","collection":"c","body":`+filter+extra+`}`)
	var s sub
	if err := jsonx.Unmarshal(r.Result, &s); err != nil || r.Status != 200 || s.Channel == "" {
		t.Fatalf("subscribe failed: %s", r.raw)
	}
	if code := c.subscribe(s.Channel); code >= 0x80 {
		t.Fatalf("MQTT subscription to the channel refused: %#x", code)
	}
	return s
}

func publish(t *testing.T, c client, body, extra string) {
	t.Helper()
	r := request(t, c, `{"controller":"realtime","action":"publish","index":"i","collection":"c","body":`+body+extra+`}`)
	if r.Status != 200 || string(r.Result) != `{"published":true}` {
		t.Fatalf("publish failed: %s", r.raw)
	}
}

func TestSeedExample(t *testing.T) {
	srv := startServer(t, nil)
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			listener, publisher := v.connect(t, srv.addr), v.connect(t, srv.addr)
			s := subscribe(t, listener, `{"term":{"some":"filter"}}`, "")
			if len(s.RoomID) != 64 || s.Channel != s.RoomID+"-311" {
				t.Fatalf("roomId/channel not derived like Kuzzle's: %+v", s)
			}
			publish(t, publisher, `{"some":"other"}`, "")
			publish(t, publisher, `{"some":"filter","n":1}`, `,"_id":"doc-1","volatile":{"v":1},"requestId":"pub-1"`)
			n := nextNotification(t, listener, s.Channel)
			if n.Type != "document" || n.Status != 200 || n.Action != "publish" || n.Scope != "in" || n.Event != "publish" ||
				n.RequestID != "pub-1" || n.Index != "i" || n.Collection != "c" || n.Controller != "realtime" ||
				n.Protocol != "mqtt" || n.Node != srv.node.ID() || string(n.Volatile) != `{"v":1}` || n.Timestamp == 0 {
				t.Fatalf("unexpected notification %s", n.raw)
			}
			info, _ := n.Result.Source["_kuzzle_info"].(map[string]any)
			if n.Result.ID != "doc-1" || n.Result.Source["some"] != "filter" || info["author"] != "-1" || info["createdAt"] == nil {
				t.Fatalf("unexpected document %s", n.raw)
			}
			roundTrip(t, listener) // the non-matching document was not delivered
		})
	}
}

// nextMessage waits for the next message of any topic.
func nextMessage(t *testing.T, c client) message {
	t.Helper()
	select {
	case m := <-c.received():
		return m
	case <-c.lost():
		t.Fatal("connection lost")
	case <-timeout():
		t.Fatal("no message")
	}
	return message{}
}

func TestChannelTopicsAreGuarded(t *testing.T) {
	srv := startServer(t, func(c *config.Config) { c.Server.MQTT.AllowPubSub = true })
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			owner, stranger := v.connect(t, srv.addr), v.connect(t, srv.addr)
			s := subscribe(t, owner, `{"equals":{"k":"v"}}`, "")
			// A client that never joined the room may subscribe when its
			// user may join it: before the first admin, anonymous may do
			// anything (TestChannelSubscriptionWithCredentials has users
			// who may not).
			if code := stranger.subscribe(s.Channel); code != 0 {
				t.Fatalf("a client whose user may join the room: SUBACK %#x", code)
			}
			_ = stranger.publish(s.Channel, []byte(`{"forged":true}`), 0)
			expectLost(t, stranger)
			roundTrip(t, owner) // the forged message never arrived
		})
	}
}

func TestScopes(t *testing.T) {
	srv := startServer(t, nil)
	c, publisher := connect5(t, srv.addr), connect3(t, srv.addr)
	receives := map[string]bool{"all": true, "in": true, "out": false, "none": false}
	suffix := map[string]string{"all": "-311", "in": "-312", "out": "-313", "none": "-31"}
	channels := map[string]string{}
	for scope := range receives {
		s := subscribe(t, c, `{"equals":{"k":"v"}}`, `,"scope":"`+scope+`"`)
		if !strings.HasSuffix(s.Channel, suffix[scope]) {
			t.Fatalf("scope %s: channel %s, want suffix %s", scope, s.Channel, suffix[scope])
		}
		channels[s.Channel] = scope
	}
	publish(t, publisher, `{"k":"v"}`, "")
	got := map[string]bool{}
	for range 2 {
		m := nextMessage(t, c)
		got[channels[m.topic]] = true
	}
	roundTrip(t, c)
	for scope, want := range receives {
		if got[scope] != want {
			t.Errorf("scope %s received: %v, want %v", scope, got[scope], want)
		}
	}
}

func TestUsersNotifications(t *testing.T) {
	srv := startServer(t, nil)
	for _, users := range []string{"all", "in", "out", "none"} {
		t.Run(users, func(t *testing.T) {
			watcher, visitor := connect3(t, srv.addr), connect5(t, srv.addr)
			filter := `{"equals":{"users":"` + users + `"}}`
			s := subscribe(t, watcher, filter, `,"users":"`+users+`"`)
			// The visitor asks for scope "in" so that its channel is its own
			// ("out" and "none" users share a channel name, as in Kuzzle).
			subscribe(t, visitor, filter, `,"scope":"in","volatile":{"who":"visitor"}`)
			if users == "all" || users == "in" {
				n := nextNotification(t, watcher, s.Channel)
				if n.Type != "user" || n.User != "in" || n.Result.Count != 2 || n.Action != "subscribe" || string(n.Volatile) != `{"who":"visitor"}` {
					t.Fatalf("unexpected user notification %s", n.raw)
				}
			}
			r := request(t, visitor, `{"controller":"realtime","action":"unsubscribe","body":{"roomId":"`+s.RoomID+`"}}`)
			if r.Status != 200 || string(r.Result) != `{"roomId":"`+s.RoomID+`"}` {
				t.Fatalf("unsubscribe failed: %s", r.raw)
			}
			if users == "all" || users == "out" {
				n := nextNotification(t, watcher, s.Channel)
				if n.User != "out" || n.Result.Count != 1 || n.Action != "unsubscribe" || string(n.Volatile) != `{"who":"visitor"}` {
					t.Fatalf("unexpected user notification %s", n.raw)
				}
			}
			roundTrip(t, watcher)
		})
	}
}

func TestRealtimeActions(t *testing.T) {
	srv := startServer(t, nil)
	a, b := connect5(t, srv.addr), connect3(t, srv.addr)
	s := subscribe(t, a, `{"range":{"age":{"gte":18}}}`, "")

	// join: b enters a's room by its id, with other options.
	r := request(t, b, `{"controller":"realtime","action":"join","body":{"roomId":"`+s.RoomID+`"},"scope":"in","users":"all"}`)
	var joined sub
	if err := jsonx.Unmarshal(r.Result, &joined); err != nil || joined.RoomID != s.RoomID || joined.Channel != s.RoomID+"-112" {
		t.Fatalf("join failed: %s", r.raw)
	}
	if r := request(t, a, `{"controller":"realtime","action":"count","body":{"roomId":"`+s.RoomID+`"}}`); string(r.Result) != `{"count":2}` {
		t.Fatalf("count: %s", r.raw)
	}
	r = request(t, a, `{"controller":"realtime","action":"list"}`)
	if string(r.Result) != `{"i":{"c":{"`+s.RoomID+`":2}}}` {
		t.Fatalf("list: %s", r.raw)
	}
	if r := request(t, a, `{"controller":"realtime","action":"count","body":{"roomId":"nope"}}`); string(r.Result) != `{"count":0}` {
		t.Fatalf("count of an unknown room: %s", r.raw)
	}
	// Subscribing twice to the same room and options returns the same channel.
	again := request(t, a, `{"controller":"realtime","action":"subscribe","index":"i","collection":"c","body":{"range":{"age":{"gte":18}}}}`)
	if !strings.Contains(string(again.Result), s.Channel) {
		t.Fatalf("second subscription: %s", again.raw)
	}
	// The last member leaving removes the room.
	for _, c := range []client{a, b} {
		if r := request(t, c, `{"controller":"realtime","action":"unsubscribe","body":{"roomId":"`+s.RoomID+`"}}`); r.Status != 200 {
			t.Fatalf("unsubscribe: %s", r.raw)
		}
	}
	if r := request(t, a, `{"controller":"realtime","action":"list"}`); string(r.Result) != `{}` {
		t.Fatalf("the room should be gone: %s", r.raw)
	}
	if r := request(t, b, `{"controller":"realtime","action":"join","body":{"roomId":"`+s.RoomID+`"}}`); r.Error == nil || r.Error.ID != "core.realtime.room_not_found" {
		t.Fatalf("join of a removed room: %s", r.raw)
	}
}

func TestRealtimeErrors(t *testing.T) {
	srv := startServer(t, nil)
	c := connect3(t, srv.addr)
	tests := []struct {
		name, payload, id, message string
	}{
		{"subscribe without index", `{"controller":"realtime","action":"subscribe","collection":"c","body":{}}`, "api.assert.missing_argument", `Missing argument "index".`},
		{"subscribe without collection", `{"controller":"realtime","action":"subscribe","index":"i","body":{}}`, "api.assert.missing_argument", `Missing argument "collection".`},
		{"subscribe without body", `{"controller":"realtime","action":"subscribe","index":"i","collection":"c"}`, "api.assert.body_required", "The request must specify a body."},
		{"bad filter", `{"controller":"realtime","action":"subscribe","index":"i","collection":"c","body":{"foo":{}}}`, "api.assert.koncorde_dsl_error", `unknown keyword`},
		{"bad scope", `{"controller":"realtime","action":"subscribe","index":"i","collection":"c","body":{},"scope":"sideways"}`, "core.realtime.invalid_scope", `Invalid value for the "scope" parameter`},
		{"bad users", `{"controller":"realtime","action":"subscribe","index":"i","collection":"c","body":{},"users":5}`, "core.realtime.invalid_users", `Invalid value for the "users" parameter`},
		{"unsubscribe unknown", `{"controller":"realtime","action":"unsubscribe","body":{"roomId":"r"}}`, "core.realtime.not_subscribed", `has not subscribed to "r".`},
		{"unsubscribe without roomId", `{"controller":"realtime","action":"unsubscribe","body":{}}`, "api.assert.missing_argument", `Missing argument "body.roomId".`},
		{"count with a number", `{"controller":"realtime","action":"count","body":{"roomId":1}}`, "api.assert.invalid_type", `Wrong type for argument "body.roomId" (expected: string)`},
		{"join unknown", `{"controller":"realtime","action":"join","body":{"roomId":"r"}}`, "core.realtime.room_not_found", `The room "r" doesn't exist`},
		{"publish without body", `{"controller":"realtime","action":"publish","index":"i","collection":"c"}`, "api.assert.body_required", "The request must specify a body."},
		{"publish without index", `{"controller":"realtime","action":"publish","collection":"c","body":{}}`, "api.assert.missing_argument", `Missing argument "index".`},
	}
	for _, tt := range tests {
		r := request(t, c, tt.payload)
		if r.Error == nil || r.Error.ID != tt.id || !strings.Contains(r.Error.Message, tt.message) {
			t.Errorf("%s: got %s, want %s %q", tt.name, r.raw, tt.id, tt.message)
		}
	}
}
