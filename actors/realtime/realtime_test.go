package realtime

import (
	"strings"
	"testing"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
)

func TestChannelName(t *testing.T) {
	tests := []struct {
		scope, users, want string
	}{
		{"all", "none", "r-311"}, // Kuzzle's defaults
		{"in", "all", "r-112"},
		{"out", "in", "r-213"},
		{"none", "out", "r-31"}, // scope "none" adds no digit, as in Kuzzle
		{"all", "out", "r-311"}, // users "out" and "none" share a digit
	}
	for _, tt := range tests {
		o, err := parseOptions(tt.scope, true, tt.users, true)
		if err != nil {
			t.Fatal(err)
		}
		if got := channelName("r", o); got != tt.want {
			t.Errorf("scope %s users %s: %s, want %s", tt.scope, tt.users, got, tt.want)
		}
	}
	if _, err := parseOptions("", true, "all", true); err == nil || err.ID != "core.realtime.invalid_scope" {
		t.Errorf("an empty scope must be refused: %v", err)
	}
	if _, err := parseOptions("all", true, "some", true); err == nil || err.ID != "core.realtime.invalid_users" {
		t.Errorf("unknown users must be refused: %v", err)
	}
}

func TestWithKuzzleInfo(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{}`, `{"_kuzzle_info":{"author":"-1","createdAt":7}}`},
		{` {"a":1} `, `{"a":1,"_kuzzle_info":{"author":"-1","createdAt":7}}`},
		{`[1,2]`, `[1,2]`},
	}
	for _, tt := range tests {
		if got := string(appendWithKuzzleInfo(nil, []byte(tt.body), "-1", 7)); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.body, got, tt.want)
		}
	}
	// A body with its own _kuzzle_info gets Kuzzle's instead.
	var doc map[string]map[string]any
	if err := jsonx.Unmarshal(appendWithKuzzleInfo([]byte("ignored"), []byte(`{"_kuzzle_info":{"author":"me"},"b":{}}`), "-1", 7)[len("ignored"):], &doc); err != nil {
		t.Fatal(err)
	}
	if doc["_kuzzle_info"]["author"] != "-1" || doc["b"] == nil {
		t.Errorf("unexpected document %v", doc)
	}
}

// documentNotification is Kuzzle's document notification, keys in Kuzzle's
// order: what appendDocumentNotification writes by hand.
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

func TestDocumentNotificationEncoding(t *testing.T) {
	rt := &Realtime{node: "knode-\"1\""}
	tests := []struct{ name, request string }{
		{"plain", `{"requestId":"r1","controller":"realtime","action":"publish","body":{"a":"\u00e9 x"}}`},
		{"id and volatile", `{"requestId":"r\u00e9\n","_id":"doc \"1\"","volatile":{"a":[1,"x"]},"body":{"a":"\u00e9 x"}}`},
		{"generated requestId, null volatile", `{"volatile":null,"_id":null,"body":{"a":"\u00e9 x"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, kerr := api.Parse([]byte(tt.request), api.Connection{ID: "c", Protocol: "mqtt"})
			if kerr != nil {
				t.Fatal(kerr)
			}
			source := []byte(`{"a":"\u00e9 x","_kuzzle_info":{"author":"-1","createdAt":7}}`)
			want, err := jsonx.Marshal(documentNotification{
				Type: "document", Status: 200, Action: "publish", Scope: "in",
				Result: documentResult{ID: req.Arg("_id"), Source: source},
				Node:   rt.node, Event: "publish", RequestID: req.ID, Timestamp: 7,
				Volatile: nullIfEmpty(req.Volatile), Index: "i\tx", Collection: "c",
				Controller: "realtime", Protocol: req.Connection.Protocol,
			})
			if err != nil {
				t.Fatal(err)
			}
			got, gotSource := rt.appendDocumentNotification(nil, req, req.Body, "i\tx", "c", "-1", 7)
			if string(got) != string(want) {
				t.Errorf("got  %s\nwant %s", got, want)
			}
			if string(gotSource) != string(source) {
				t.Errorf("source %s, want %s", gotSource, source)
			}
		})
	}
	// The document goes out as it came in, not HTML-escaped: JSON.stringify
	// leaves <, > and & alone.
	req, _ := api.Parse([]byte(`{"body":{"html":"<a href='x?a=1&b=2'>"}}`), api.Connection{})
	if got, _ := rt.appendDocumentNotification(nil, req, req.Body, "i", "c", "-1", 7); !strings.Contains(string(got), `"_source":{"html":"<a href='x?a=1&b=2'>",`) {
		t.Errorf("source rewritten: %s", got)
	}
}
