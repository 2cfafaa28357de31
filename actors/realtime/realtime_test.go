package realtime

import (
	"testing"

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
		if got := string(withKuzzleInfo([]byte(tt.body), 7)); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.body, got, tt.want)
		}
	}
	// A body with its own _kuzzle_info gets Kuzzle's instead.
	var doc map[string]map[string]any
	if err := jsonx.Unmarshal(withKuzzleInfo([]byte(`{"_kuzzle_info":{"author":"me"},"b":{}}`), 7), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["_kuzzle_info"]["author"] != "-1" || doc["b"] == nil {
		t.Errorf("unexpected document %v", doc)
	}
}
