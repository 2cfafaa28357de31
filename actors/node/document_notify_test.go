package node_test

import (
	"fmt"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
)

// listeners are three clients subscribed to {"equals":{"k":"v"}} on i:c,
// one per scope.
type listeners struct {
	clients  map[string]client // by scope: all, in, out
	channels map[string]string
}

func listen(t *testing.T, srv *testServer) listeners {
	t.Helper()
	l := listeners{clients: map[string]client{}, channels: map[string]string{}}
	for _, scope := range []string{"all", "in", "out"} {
		c := responseClient(t, srv)
		s := subscribe(t, c, `{"equals":{"k":"v"}}`, `,"scope":"`+scope+`"`)
		l.clients[scope], l.channels[scope] = c, s.Channel
	}
	return l
}

// expect checks that the clients of scope (and of "all") receive one
// notification of action with result, sent for requestID.
func (l listeners) expect(t *testing.T, requestID, controller, scope, action, result string) {
	t.Helper()
	for _, listener := range []string{"all", scope} {
		n := nextNotification(t, l.clients[listener], l.channels[listener])
		event := "write"
		if action == "delete" {
			event = "delete"
		}
		if n.Type != "document" || n.Status != 200 || n.Action != action || n.Scope != scope || n.Event != event ||
			n.Controller != controller || n.Index != "i" || n.Collection != "c" || n.RequestID != requestID ||
			string(n.Volatile) != `{"v":1}` {
			t.Errorf("%s, scope %s listener: %s, want %s %s", requestID, listener, n.raw, action, scope)
			continue
		}
		sameJSON(t, requestID+" notification's result", resultOf(t, n.raw), result)
	}
}

// quiet checks that no listener has a notification pending.
func (l listeners) quiet(t *testing.T) {
	t.Helper()
	for _, c := range l.clients {
		roundTrip(t, c)
	}
}

// resultOf returns the result of a notification.
func resultOf(t *testing.T, raw []byte) []byte {
	t.Helper()
	var n struct {
		Result jsonx.RawMessage `json:"result"`
	}
	if err := jsonx.Unmarshal(raw, &n); err != nil || n.Result == nil {
		t.Fatalf("no result: %s", raw)
	}
	return n.Result
}

func TestDocumentNotifications(t *testing.T) {
	srv, w := documentServer(t, "", nil)
	l := listen(t, srv)
	const info = `{"author":"-1","createdAt":"T","updatedAt":"T","updater":"-1"}`
	steps := []struct {
		action, args string
		scope        string // "" for no notification
		notified     string
		result       string
	}{
		{"create", `"_id":"a","body":{"k":"v"}`, "in", "create",
			`{"_id":"a","_source":{"k":"v","_kuzzle_info":` + created + `},"_version":1}`},
		{"createOrReplace", `"_id":"a","body":{"k":"v"}`, "in", "replace",
			`{"_id":"a","_source":{"k":"v","_kuzzle_info":` + info + `},"_version":2,"created":false}`},
		{"update", `"_id":"a","body":{"k":"w","o":{"p":1}}`, "out", "update",
			`{"_id":"a","_source":{"k":"w","o":{"p":1},"_kuzzle_info":` + info + `},"_updatedFields":["k","o.p"]}`},
		{"update", `"_id":"a","body":{"k":"x"}`, "", "", ""},
		{"replace", `"_id":"a","body":{"k":"v"}`, "in", "replace", `{"_id":"a","_source":{"k":"v"}}`},
		{"upsert", `"_id":"b","body":{"changes":{"k":"v"}}`, "in", "create", `{"k":"v","_kuzzle_info":` + updated + `}`},
		{"upsert", `"_id":"b","body":{"changes":{"k":"w"}}`, "out", "update",
			`{"_id":"b","_source":{"k":"w","_kuzzle_info":` + updated + `},"_updatedFields":["k"]}`},
		{"createOrReplace", `"_id":"c","body":{"k":"v"}`, "in", "create",
			`{"_id":"c","_source":{"k":"v","_kuzzle_info":` + info + `},"_version":1,"created":true}`},
		{"delete", `"_id":"c"`, "out", "delete", `{"_id":"c","_source":{"k":"v","_kuzzle_info":` + info + `},"_version":1}`},
		{"create", `"_id":"s","body":{"k":"v"},"silent":true`, "", "", ""},
		{"deleteFields", `"_id":"a","body":{"fields":["k"]}`, "out", "update",
			`{"_id":"a","_source":{"_kuzzle_info":` + info + `}}`},
		{"mCreate", `"body":{"documents":[{"_id":"m","body":{"k":"v"}}]}`, "in", "create",
			`{"_id":"m","_source":{"k":"v","_kuzzle_info":` + created + `},"_version":1,"created":true,"result":"created","status":201}`},
		{"mUpdate", `"body":{"documents":[{"_id":"m","body":{"k":"x"}}]}`, "out", "update",
			`{"_id":"m","_source":{"k":"x","_kuzzle_info":{"author":"-1","createdAt":"T","updatedAt":"T","updater":"-1"}},"_version":2,"status":200,"_updatedFields":["k"]}`},
		{"mCreateOrReplace", `"body":{"documents":[{"_id":"m","body":{"k":"v"}}]}`, "in", "replace",
			`{"_id":"m","_source":{"k":"v","_kuzzle_info":` + created + `},"_version":3,"created":false,"result":"updated","status":200}`},
		{"mReplace", `"body":{"documents":[{"_id":"m","body":{"k":"v","z":1}}]}`, "in", "replace",
			`{"_id":"m","_source":{"k":"v","z":1,"_kuzzle_info":` + created + `},"_version":4,"created":false,"result":"updated","status":200}`},
		{"mUpsert", `"body":{"documents":[{"_id":"m","changes":{"k":"w"}}]}`, "out", "update",
			`{"_id":"m","_source":{"k":"w","z":1,"_kuzzle_info":{"author":"-1","createdAt":"T","updatedAt":"T","updater":"-1"}},"_version":5,"created":false,"status":200,"_updatedFields":["k"]}`},
		{"mUpsert", `"body":{"documents":[{"_id":"n","changes":{"k":"v"}}]}`, "in", "create",
			`{"_id":"n","_source":{"k":"v","_kuzzle_info":{"author":"-1","createdAt":"T"}},"_version":1,"created":true,"status":201}`},
		{"mDelete", `"body":{"ids":["n","m"]}`, "out", "delete", `{"_id":"n","_source":{"k":"v","_kuzzle_info":{"author":"-1","createdAt":"T"}}}`},
		{"mDelete", `"body":{"ids":["s"]},"silent":true`, "", "", ""},
	}
	for i, s := range steps {
		requestID := fmt.Sprintf("r%d-%s", i, s.action)
		r := call(t, w, "document", s.action, `"index":"i","collection":"c","requestId":"`+requestID+`","volatile":{"v":1},`+s.args)
		if r.Status != 200 {
			t.Fatalf("%s: %s", requestID, r.raw)
		}
		if s.scope != "" {
			l.expect(t, requestID, "document", s.scope, s.notified, s.result)
		}
	}
	l.quiet(t)
}
