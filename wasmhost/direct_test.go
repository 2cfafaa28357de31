package wasmhost_test

import (
	"strings"
	"testing"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/wasmhost"
)

func TestParseEvent(t *testing.T) {
	for _, tt := range []struct {
		event              string
		stage              api.Stage
		controller, action string
		err                string
	}{
		{"document:beforeCreate", api.StageBefore, "document", "create", ""},
		{"document:afterMCreate", api.StageAfter, "document", "mCreate", ""},
		{"ms:errorGet", api.StageError, "memoryStorage", "get", ""},
		{"geo/geofence:afterCheck", api.StageAfter, "geo/geofence", "check", ""},
		{"request:onExecution", api.StageExecution, "", "", ""},
		{"request:onSuccess", api.StageSuccess, "", "", ""},
		{"request:onError", api.StageOnError, "", "", ""},
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
