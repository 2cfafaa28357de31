package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// wasmRun runs `starling wasm ARGS` with stdin and returns its exit code,
// stdout and stderr.
func wasmRun(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runWasm(args, strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestWasmRunPlugin runs examples/plugin/c's pipe, hook and action with
// `starling wasm run`: the configuration given with --config (inline or
// from a file), its starling_init run first, the state kept in a file
// across runs.
func TestWasmRunPlugin(t *testing.T) {
	wasm := buildCExample(t, "plugin", "../../examples/plugin/c/plugin.c")
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfgFile, []byte(`{"minPrice": 10, "maxPrice": 100}`), 0o644); err != nil {
		t.Fatal(err)
	}
	const rng = `{"minPrice":10,"maxPrice":100}`
	stamped := `{"request":{"controller":"document","action":"create","requestId":"wasm-run","args":{"collection":"c","index":"i"},` +
		`"body":{"price":50,"checkedBy":"plugin-c"},"connection":{"id":"wasm-run","protocol":"mqtt"}}}` + "\n"
	rejected := `{"code":33619970,"id":"api.assert.invalid_argument","message":"Invalid argument \"body.price\". Expected: a number between 10 and 100",` +
		`"props":["body.price","a number between 10 and 100"],"status":400}` + "\n"
	tests := []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stdout string // exact
		stderr string // a substring
	}{
		{"pipe stamps", []string{"--pipe", "document:beforeCreate", "--config", rng}, `{"index":"i","collection":"c","body":{"price":50}}`,
			0, stamped, "price range [10, 100]"},
		{"pipe stamps, full input, config file", []string{"--pipe", "document:beforeCreate", "--config", "@" + cfgFile},
			`{"event":"document:beforeCreate","request":{"controller":"document","action":"create","args":{"index":"i","collection":"c"},"body":{"price":50}}}`,
			0, stamped, ""},
		{"pipe rejects", []string{"--pipe", "document:beforeCreate", "--config", rng}, `{"index":"i","collection":"c","body":{"price":500}}`,
			1, rejected, ""},
		{"pipe rejects, no body", []string{"--pipe", "document:beforeCreate", "--config", rng}, ``, 1, rejected, ""},
		{"default range", []string{"--pipe", "document:beforeCreate"}, `{"index":"i","collection":"c","body":{"price":500}}`,
			0, strings.Replace(stamped, `"price":50,`, `"price":500,`, 1), "price range [0, 1000]"},
		{"event not piped", []string{"--pipe", "document:afterCreate"}, `{}`,
			1, "", `module plugin has no pipe on document:afterCreate (its manifest's pipes: ["document:beforeCreate"])`},
		{"input of another event", []string{"--pipe", "document:beforeCreate"}, `{"event":"document:beforeUpdate","request":{}}`,
			2, "", "the input is the event document:beforeUpdate, not document:beforeCreate"},
		{"request of another action", []string{"--pipe", "document:beforeCreate"}, `{"action":"update"}`,
			1, "", `the request's action is "update", the event's is "create"`},
		{"result on a before event", []string{"--pipe", "document:beforeCreate", "--result", `{}`}, `{}`,
			1, "", "document:beforeCreate has no result"},
		{"init fails", []string{"--pipe", "document:beforeCreate", "--config", `{"minPrice":200,"maxPrice":100}`}, `{}`,
			1, "", "load module plugin: starling_init: config: minPrice and maxPrice must be numbers, minPrice <= maxPrice"},
		{"bad allowed host", []string{"--action", "stats", "--allowed-hosts", "a b"}, ``,
			1, "", `wasm configuration: module plugin: allowedHosts: "a b" is not host, *.domain or host:port`},
		{"bad --error", []string{"--pipe", "document:errorCreate", "--error", `"x"`}, `{}`, 2, "", "--error: not {"},
		{"error event without error", []string{"--pipe", "document:errorCreate"}, `{}`,
			1, "", "document:errorCreate is fired by a failure: give its error"},
		{"config not JSON", []string{"--action", "stats", "--config", `{"minPrice":`}, ``, 2, "", "--config: not JSON"},
		{"hook", []string{"--hook", "auth:afterLogin", "--result", `{"_id":"u1"}`, "--show-state"}, ``,
			0, `{"ok":true,"calls":[]}` + "\n" + `{"state":{"logins":1}}` + "\n", ""},
		{"event not hooked", []string{"--hook", "auth:afterLogout"}, ``,
			1, "", `module plugin has no hook on auth:afterLogout`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"run"}, tt.args...), wasm)
			code, stdout, stderr := wasmRun(t, tt.stdin, args...)
			if code != tt.code || stdout != tt.stdout || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit code %d, stdout %q, stderr %q;\nwant %d, %q, %q in stderr", code, stdout, stderr, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}

// TestWasmRunState: the login hook increments the state kept in a --state
// file, run after run; the stats action reads it; a value that is no
// integer fails the hook (exit code 1, the state left as it was).
func TestWasmRunState(t *testing.T) {
	wasm := buildCExample(t, "plugin", "../../examples/plugin/c/plugin.c")
	state := filepath.Join(t.TempDir(), "state.json")
	read := func() string {
		t.Helper()
		b, err := os.ReadFile(state)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for i, want := range []string{`{"logins":1}`, `{"logins":2}`} {
		code, stdout, stderr := wasmRun(t, "", "run", "--hook", "auth:afterLogin", "--state", state, wasm)
		if code != 0 || stdout != `{"ok":true,"calls":[]}`+"\n" || read() != want+"\n" {
			t.Fatalf("run %d: exit code %d, stdout %q, stderr %q, state %q", i, code, stdout, stderr, read())
		}
	}
	if err := os.WriteFile(state, []byte(`{"logins": 41, "note": "hello", "cfg": {"a": 1}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := wasmRun(t, "", "run", "--hook", "auth:afterLogin", "--state", state, "--show-state", wasm)
	wantState := `{"cfg":{"a":1},"logins":42,"note":"hello"}`
	if code != 0 || stdout != `{"ok":true,"calls":[]}`+"\n"+`{"state":`+wantState+"}\n" || read() != wantState+"\n" {
		t.Fatalf("seeded: exit code %d, stdout %q, state %q", code, stdout, read())
	}
	if code, stdout, _ := wasmRun(t, "", "run", "--action", "stats", "--state", state, wasm); code != 0 || stdout != `{"logins":42}`+"\n" {
		t.Fatalf("stats: exit code %d, stdout %q", code, stdout)
	}
	if err := os.WriteFile(state, []byte(`{"logins":"many"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = wasmRun(t, "", "run", "--hook", "auth:afterLogin", "--state", state, wasm)
	want := `{"ok":false,"error":"hook on auth:afterLogin returned an error: {\"message\":\"state_incr logins: status -4\"}","calls":[]}` + "\n"
	if code != 1 || stdout != want || read() != `{"logins":"many"}`+"\n" {
		t.Fatalf("not an integer: exit code %d, stdout %q, state %q", code, stdout, read())
	}
	if err := os.WriteFile(state, []byte(`[1]`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := wasmRun(t, "", "run", "--hook", "auth:afterLogin", "--state", state, wasm); code != 2 ||
		!strings.Contains(stderr, "not a JSON object of key -> value") {
		t.Fatalf("bad state file: exit code %d, stderr %q", code, stderr)
	}
}
