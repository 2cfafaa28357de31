package wasmhost_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/starlingmq/starling/wasmhost"
)

// fakeAPI lists controllers and their actions.
type fakeAPI map[string][]string

func (f fakeAPI) HasController(c string) bool { _, ok := f[c]; return ok }

func (f fakeAPI) HasAction(c, a string) bool { return slices.Contains(f[c], a) }

func eventHost(t *testing.T) *wasmhost.Host {
	t.Helper()
	h, err := wasmhost.New(context.Background(), wasmhost.Options{
		Config:  wasmhost.Config{CacheDir: filepath.Join(buildDir, "cache")},
		Logger:  testLogger(t),
		Actions: fakeAPI{"document": {"create", "mCreate"}, "auth": {"login"}, "memoryStorage": {"get"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	return h
}

func TestEventNames(t *testing.T) {
	h := eventHost(t)
	valid := []string{
		"document:beforeCreate", "document:afterMCreate", "document:errorCreate", "auth:afterLogin",
		"request:onExecution", "request:onSuccess", "request:onError", "request:*",
		"document:*", "document:before*", "document:after*", "ms:beforeGet", "own/ctl:afterDo",
	}
	names := `["` + strings.Join(valid, `","`) + `"]`
	man := `{"controller":"ctl","actions":["do"],"pipes":` + names + `,"hooks":` + names + `}`
	if _, err := h.LoadBytes(context.Background(), "own", readFile(t, buildPipes(t, man, "a"))); err != nil {
		t.Errorf("valid names: %v", err)
	}
	for _, tt := range []struct{ event, message string }{
		{"nope:beforeCreate", `no controller "nope"`},
		{"document:beforeFly", `controller "document" has no action "fly"`},
		{"document:create", "none of document:beforeACTION"},
		{"document:before", "none of document:beforeACTION"},
		{"document:error*", `no action "*"`},
		{"request:onFoo", "request events are"},
		{"nocolon", "is not CONTROLLER:EVENT"},
		{":beforeCreate", "is not CONTROLLER:EVENT"},
		{"other/ctl:afterDo", `no controller "other/ctl"`},
	} {
		man := `{"pipes":["document:beforeCreate","` + tt.event + `"]}`
		_, err := h.LoadBytes(context.Background(), "bad", readFile(t, buildPipes(t, man, "a")))
		if err == nil || !strings.Contains(err.Error(), tt.event) || !strings.Contains(err.Error(), tt.message) {
			t.Errorf("%s: got %v, want %q", tt.event, err, tt.message)
		}
	}
	if h.Module("bad") != nil {
		t.Fatal("a module naming unknown events must not load")
	}
	// Hooks are checked as pipes are.
	_, err := h.LoadBytes(context.Background(), "bad", readFile(t, buildPipes(t, `{"hooks":["auth:afterLogout"]}`, "a")))
	if err == nil || !strings.Contains(err.Error(), "auth:afterLogout") {
		t.Fatalf("hook on an unknown action: %v", err)
	}
}

func TestEventsNeedTheirExports(t *testing.T) {
	h := eventHost(t)
	_, err := h.LoadBytes(context.Background(), "nopipe", readFile(t, buildPipes(t, beforeCreate, "a", "-DSTARLING_NO_PIPE")))
	if err == nil || !strings.Contains(err.Error(), "manifest names pipes: it needs the starling_pipe export") {
		t.Fatalf("pipes without starling_pipe: %v", err)
	}
	// A module with only hooks (no action, filter or pipe) is one.
	if _, err := h.LoadBytes(context.Background(), "only", readFile(t, buildPipes(t, `{"hooks":["document:afterCreate"]}`, "a", "-DSTARLING_NO_PIPE"))); err != nil {
		t.Fatalf("a module with only hooks: %v", err)
	}
	// ABI 2 guests' pipes and hooks are ignored.
	m, err := h.LoadBytes(context.Background(), "old", readFile(t, buildPipes(t, `{"controller":"c","actions":["a"],"pipes":["nope:beforeX"]}`, "a", "-USTARLING_ABI_VERSION", "-DSTARLING_ABI_VERSION=2")))
	if err != nil || len(m.Manifest().Pipes) != 0 {
		t.Fatalf("ABI 2 guest: %v", err)
	}
}
