package wasmhost_test

import (
	"strings"
	"testing"

	"github.com/starlingmq/starling/wasmhost"
)

func TestParseEvent(t *testing.T) {
	for _, tt := range []struct {
		event              string
		stage              wasmhost.Stage
		controller, action string
		err                string
	}{
		{"document:beforeCreate", wasmhost.StageBefore, "document", "create", ""},
		{"document:afterMCreate", wasmhost.StageAfter, "document", "mCreate", ""},
		{"ms:errorGet", wasmhost.StageError, "memoryStorage", "get", ""},
		{"geo/geofence:afterCheck", wasmhost.StageAfter, "geo/geofence", "check", ""},
		{"request:onExecution", wasmhost.StageExecution, "", "", ""},
		{"request:onSuccess", wasmhost.StageSuccess, "", "", ""},
		{"request:onError", wasmhost.StageOnError, "", "", ""},
		{"request:*", 0, "", "", "a single request event is"},
		{"document:*", 0, "", "", "is none of document:beforeACTION"},
		{"document:before*", 0, "", "", "is none of"},
		{"document:before", 0, "", "", "is none of"},
		{"document", 0, "", "", "is not CONTROLLER:EVENT"},
		{":afterX", 0, "", "", "is not CONTROLLER:EVENT"},
	} {
		s, c, a, err := wasmhost.ParseEvent(tt.event)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: got %v, want %q", tt.event, err, tt.err)
			}
			continue
		}
		if err != nil || s != tt.stage || c != tt.controller || a != tt.action {
			t.Errorf("%s: got %v %q %q %v", tt.event, s, c, a, err)
		}
	}
}
