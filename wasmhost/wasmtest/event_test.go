package wasmtest_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/wasmhost"
	"github.com/starlingmq/starling/wasmhost/wasmtest"
)

// openWith loads a module with options; it is closed with the test.
func openWith(t *testing.T, path string, opts wasmtest.Options) *wasmtest.Runner {
	t.Helper()
	opts.CacheDir = "-"
	r, err := wasmtest.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(context.Background()) })
	return r
}

// priceRange is examples/plugin's configuration in these tests.
var priceRange = wasmhost.Settings{Config: jsonx.RawMessage(`{"minPrice":10,"maxPrice":100}`)}

func TestPipe(t *testing.T) {
	r := openWith(t, buildC(t, "plugin", "examples/plugin/c/plugin.c"), wasmtest.Options{Settings: priceRange})
	ctx := context.Background()
	out, kerr, err := r.Pipe(ctx, "document:beforeCreate", wasmtest.Event{
		Request: jsonx.RawMessage(`{"index":"i","collection":"c","_id":"a","body":{"price":50}}`)})
	want := `{"controller":"document","action":"create","requestId":"wasm-run","args":{"_id":"a","collection":"c","index":"i"},` +
		`"body":{"price":50,"checkedBy":"plugin-c"},"connection":{"id":"wasm-run","protocol":"mqtt"}}`
	if err != nil || kerr != nil || string(out.Request) != want || out.Result != nil {
		t.Fatalf("stamp: got %+v / %v / %v, want request %s", out, kerr, err, want)
	}
	// Out of the configured range: the pipe's error, as the server answers it.
	_, kerr, err = r.Pipe(ctx, "document:beforeCreate", wasmtest.Event{Request: jsonx.RawMessage(`{"body":{"price":101}}`)})
	if err != nil || kerr == nil || kerr.ID != "api.assert.invalid_argument" || kerr.Status != 400 ||
		kerr.Message != `Invalid argument "body.price". Expected: a number between 10 and 100` {
		t.Fatalf("reject: got %v / %v", kerr, err)
	}
	for _, tt := range []struct {
		event string
		ev    wasmtest.Event
		err   string
	}{
		{"document:afterCreate", wasmtest.Event{}, "module plugin has no pipe on document:afterCreate"},
		{"document:*", wasmtest.Event{}, `event "document:*" is none of document:beforeACTION`},
		{"document:beforeCreate", wasmtest.Event{Request: jsonx.RawMessage(`{"controller":"auth"}`)}, `the request's controller is "auth"`},
		{"document:beforeCreate", wasmtest.Event{Result: jsonx.RawMessage(`{}`)}, "document:beforeCreate has no result"},
		{"request:onExecution", wasmtest.Event{}, "request:onExecution needs the request's controller and action"},
		{"document:errorCreate", wasmtest.Event{}, "document:errorCreate is fired by a failure: give its error"},
	} {
		if _, _, err := r.Pipe(ctx, tt.event, tt.ev); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s %+v: got %v, want %q", tt.event, tt.ev, err, tt.err)
		}
	}
}

// TestPipeGuestForm: a pipe input as guests receive it (args, connection)
// is taken as it is.
func TestPipeGuestForm(t *testing.T) {
	r := openWith(t, buildC(t, "plugin", "examples/plugin/c/plugin.c"), wasmtest.Options{})
	name, ev, err := wasmtest.ParseEvent([]byte(`{"event":"document:beforeCreate","request":{"controller":"document","action":"create",` +
		`"requestId":"r1","args":{"index":"i"},"body":{"price":5},"connection":{"id":"c9","protocol":"websocket"}}}`))
	if err != nil || name != "document:beforeCreate" {
		t.Fatalf("ParseEvent: %q %v", name, err)
	}
	out, kerr, err := r.Pipe(context.Background(), name, ev)
	want := `{"controller":"document","action":"create","requestId":"r1","args":{"index":"i"},` +
		`"body":{"price":5,"checkedBy":"plugin-c"},"connection":{"id":"c9","protocol":"websocket"}}`
	if err != nil || kerr != nil || string(out.Request) != want {
		t.Fatalf("got %s / %v / %v, want %s", out.Request, kerr, err, want)
	}
}

func TestInitFailure(t *testing.T) {
	wasm := buildC(t, "plugin", "examples/plugin/c/plugin.c")
	_, err := wasmtest.Open(context.Background(), wasm, wasmtest.Options{CacheDir: "-",
		Settings: wasmhost.Settings{Config: jsonx.RawMessage(`{"minPrice":200,"maxPrice":100}`)}})
	if err == nil || !strings.Contains(err.Error(),
		"load module plugin: starling_init: config: minPrice and maxPrice must be numbers, minPrice <= maxPrice") {
		t.Fatalf("got %v", err)
	}
	_, err = wasmtest.Open(context.Background(), wasm, wasmtest.Options{CacheDir: "-",
		Settings: wasmhost.Settings{Config: jsonx.RawMessage(`{"minPrice":`)}})
	if err == nil || !strings.Contains(err.Error(), "module plugin: config: not JSON") {
		t.Fatalf("bad config: got %v", err)
	}
}

// TestHookState: the login hook increments the state, seeded with
// Options.State; the stats action reads it; a value that is no integer
// fails the hook with a *HookError.
func TestHookState(t *testing.T) {
	wasm := buildC(t, "plugin", "examples/plugin/c/plugin.c")
	r := openWith(t, wasm, wasmtest.Options{State: map[string][]byte{"logins": []byte("41")}})
	ctx := context.Background()
	login := wasmtest.Event{Request: jsonx.RawMessage(`{"strategy":"local"}`), Result: jsonx.RawMessage(`{"_id":"u1"}`)}
	if err := r.Hook(ctx, "auth:afterLogin", login); err != nil {
		t.Fatal(err)
	}
	if got := r.State(); !reflect.DeepEqual(got, map[string][]byte{"logins": []byte("42")}) {
		t.Fatalf("state %q", got)
	}
	if res, kerr := r.Action(ctx, "stats", nil); kerr != nil || string(res) != `{"logins":42}` {
		t.Fatalf("stats: %s / %v", res, kerr)
	}
	if err := r.Hook(ctx, "auth:afterLogout", wasmtest.Event{}); err == nil || !strings.Contains(err.Error(), "module plugin has no hook on auth:afterLogout") {
		t.Fatalf("event not hooked: %v", err)
	}

	bad := openWith(t, wasm, wasmtest.Options{State: map[string][]byte{"logins": []byte("many")}})
	err := bad.Hook(ctx, "auth:afterLogin", login)
	var failed *wasmtest.HookError
	if !errors.As(err, &failed) || failed.Event != "auth:afterLogin" ||
		err.Error() != `hook on auth:afterLogin returned an error: {"message":"state_incr logins: status -4"}` {
		t.Fatalf("not an integer: %v", err)
	}
}

// TestStateQuota: the in-memory state keeps the server's limits.
func TestStateQuota(t *testing.T) {
	r := openWith(t, buildC(t, "plugin", "examples/plugin/c/plugin.c"), wasmtest.Options{
		Limits: wasmhost.Limits{StateQuota: 7}, State: map[string][]byte{"x": []byte("y")}})
	// "logins" + "1" is 7 bytes, with "xy" 9: past the quota.
	err := r.Hook(context.Background(), "auth:afterLogin", wasmtest.Event{})
	if err == nil || !strings.Contains(err.Error(), "status -3") {
		t.Fatalf("got %v, want status -3 (quota exceeded)", err)
	}
}

// TestAllowedActions: a call outside Settings.AllowedActions is refused
// before it reaches the mocks.
func TestAllowedActions(t *testing.T) {
	wasm := buildC(t, "geofence-c", "examples/geofence/c/geofence.c")
	mocks := wasmtest.Mocks{"realtime:publish": {Result: jsonx.RawMessage(`{}`)}}
	far := []byte(`{"body":{"lat":43.3,"lon":5.37}}`)
	for _, tt := range []struct {
		allowed []string
		result  string
		calls   int
	}{
		{nil, `{"inside":false,"distance":318687,"alert":true}`, 1},
		{[]string{"realtime:*"}, `{"inside":false,"distance":318687,"alert":true}`, 1},
		{[]string{"document:*"}, `{"inside":false,"distance":318687,"alert":false}`, 0},
		{[]string{}, `{"inside":false,"distance":318687,"alert":false}`, 0},
	} {
		r := openWith(t, wasm, wasmtest.Options{Mocks: mocks, Settings: wasmhost.Settings{AllowedActions: tt.allowed}})
		res, kerr := r.Action(context.Background(), "check", far)
		if kerr != nil || string(res) != tt.result || len(r.Calls()) != tt.calls {
			t.Errorf("allowed %q: got %s / %v, %d calls; want %s, %d calls", tt.allowed, res, kerr, len(r.Calls()), tt.result, tt.calls)
		}
	}
}

func TestParseEvent(t *testing.T) {
	for _, tt := range []struct {
		input, name, request, result, errID string
	}{
		{``, "", "", "", ""},
		{`{"body":{"a":1}}`, "", `{"body":{"a":1}}`, "", ""},
		{`{"request":{"body":{}},"result":{"n":1}}`, "", `{"body":{}}`, `{"n":1}`, ""},
		{`{"event":"x:errorY","request":{},"error":{"id":"api.assert.missing_argument"}}`, "x:errorY", `{}`, "", "api.assert.missing_argument"},
		// A request with an argument named request (and others) stays a request.
		{`{"request":1,"index":"i"}`, "", `{"request":1,"index":"i"}`, "", ""},
	} {
		name, ev, err := wasmtest.ParseEvent([]byte(tt.input))
		errID := ""
		if ev.Error != nil {
			errID = ev.Error.ID
		}
		if err != nil || name != tt.name || string(ev.Request) != tt.request || string(ev.Result) != tt.result || errID != tt.errID {
			t.Errorf("%s: got %q %+v %v", tt.input, name, ev, err)
		}
	}
	if _, _, err := wasmtest.ParseEvent([]byte(`[1]`)); err == nil {
		t.Error("an array must be refused")
	}
}

func TestStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	if st, err := wasmtest.LoadState(path); err != nil || len(st) != 0 {
		t.Fatalf("missing file: %v %v", st, err)
	}
	if err := os.WriteFile(path, []byte(`{"n": 3, "s": "text", "q": "\"quoted\"", "o": {"a": [1, 2]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := wasmtest.LoadState(path)
	want := map[string][]byte{"n": []byte("3"), "s": []byte("text"), "q": []byte(`"quoted"`), "o": []byte(`{"a":[1,2]}`)}
	if err != nil || !reflect.DeepEqual(st, want) {
		t.Fatalf("got %q / %v", st, err)
	}
	st["bin"] = []byte{0xff, 'a'}
	if err := wasmtest.SaveState(path, st); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != `{"bin":"`+"\uFFFD"+`a","n":3,"o":{"a":[1,2]},"q":"\"quoted\"","s":"text"}`+"\n" {
		t.Fatalf("saved %s", b)
	}
	again, err := wasmtest.LoadState(path)
	delete(st, "bin")
	delete(again, "bin")
	if err != nil || !reflect.DeepEqual(again, st) {
		t.Fatalf("round trip: %q / %v", again, err)
	}
}

// buildPipes compiles wasmhost/testdata/pipes.c (what its pipes do is
// chosen by volatile.pipe, its hooks by volatile.hook) with a manifest.
func buildPipes(t *testing.T, manifest string) string {
	t.Helper()
	clang := need(t, "clang-14")
	out := filepath.Join(t.TempDir(), "pp.wasm")
	run(t, exec.Command(clang, "--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-mexec-model=reactor",
		"-DPIPE_MANIFEST="+strconv.Quote(manifest), `-DTAG="t"`, "-I", filepath.Join(root, "guests/c"), "-o", out,
		filepath.Join(root, "guests/c/starling.c"), filepath.Join(root, "wasmhost/testdata/pipes.c")))
	return out
}

// TestPipeStages: after and error events give results, an error pipe may
// turn the failure into a result, and a pipe's bad answers are the
// server's errors, naming the module and the event.
func TestPipeStages(t *testing.T) {
	mocks := wasmtest.Mocks{"realtime:publish": {Result: jsonx.RawMessage(`{}`)}}
	r := openWith(t, buildPipes(t, `{"pipes":["document:*","request:onError"],"hooks":["document:afterCreate"]}`), wasmtest.Options{Mocks: mocks})
	ctx := context.Background()
	vol := func(pipe string) jsonx.RawMessage {
		return jsonx.RawMessage(`{"volatile":{"pipe":"` + pipe + `","hook":"` + pipe + `"}}`)
	}
	missing := &wasmtest.MockError{ID: "api.assert.missing_argument", Props: []any{"body"}}
	for _, tt := range []struct {
		name, event string
		ev          wasmtest.Event
		result      string
		errID, msg  string
	}{
		{"after", "document:afterCreate", wasmtest.Event{Request: vol("after"), Result: jsonx.RawMessage(`{"_id":"a"}`)},
			`{"changedBy":"t","inner":{"_id":"a"}}`, "", ""},
		{"after, unchanged", "document:afterCreate", wasmtest.Event{Request: vol(""), Result: jsonx.RawMessage(`{"_id":"a"}`)},
			`{"_id":"a"}`, "", ""},
		{"recover", "document:errorCreate", wasmtest.Event{Request: vol("recover"), Error: missing},
			`{"recoveredBy":"t","error":{"id":"api.assert.missing_argument","message":"Missing argument \"body\".","status":400}}`, "", ""},
		{"recover on request:onError", "request:onError", wasmtest.Event{
			Request: jsonx.RawMessage(`{"controller":"server","action":"now","volatile":{"pipe":"recover"}}`), Error: missing},
			`{"recoveredBy":"t","error":{"id":"api.assert.missing_argument","message":"Missing argument \"body\".","status":400}}`, "", ""},
		{"error left", "document:errorCreate", wasmtest.Event{Request: vol(""), Error: missing},
			"", "api.assert.missing_argument", `Missing argument "body".`},
		{"not JSON", "document:beforeCreate", wasmtest.Event{Request: vol("notjson")},
			"", "plugin.runtime.unexpected_error", `module "pp", pipe on document:beforeCreate: the answer is not a JSON object`},
		{"result before", "document:beforeCreate", wasmtest.Event{Request: vol("resultbefore")},
			"", "plugin.runtime.unexpected_error", `unexpected key "result" in the answer to document:beforeCreate`},
		{"jwt", "document:beforeCreate", wasmtest.Event{Request: vol("jwt")},
			"", "plugin.runtime.unexpected_error", `request.args may not set "jwt"`},
		{"unknown id", "document:beforeCreate", wasmtest.Event{Request: vol("unknownid")},
			"", "plugin.runtime.unexpected_error", "mine"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, kerr, err := r.Pipe(ctx, tt.event, tt.ev)
			if err != nil {
				t.Fatal(err)
			}
			if tt.errID != "" {
				if kerr == nil || kerr.ID != tt.errID || !strings.Contains(kerr.Message, tt.msg) {
					t.Fatalf("got %+v / %v, want %s %q", out, kerr, tt.errID, tt.msg)
				}
				return
			}
			if kerr != nil || string(out.Result) != tt.result || out.Request != nil {
				t.Fatalf("got %+v / %v, want result %s", out, kerr, tt.result)
			}
		})
	}
	// The hook's API call is recorded; a trap is a *HookError.
	if err := r.Hook(ctx, "document:afterCreate", wasmtest.Event{Request: vol(""), Result: jsonx.RawMessage(`{"_id":"a"}`)}); err != nil {
		t.Fatal(err)
	}
	calls := r.Calls()
	if len(calls) != 1 || calls[0].Controller != "realtime" || calls[0].Action != "publish" ||
		!strings.Contains(string(calls[0].Payload), `"event":"document:afterCreate"`) {
		t.Fatalf("calls %+v", calls)
	}
	var failed *wasmtest.HookError
	if err := r.Hook(ctx, "document:afterCreate", wasmtest.Event{Request: vol("trap")}); !errors.As(err, &failed) ||
		!strings.Contains(err.Error(), "hook on document:afterCreate failed") {
		t.Fatalf("trap: %v", err)
	}
}
