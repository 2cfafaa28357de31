package wasmhost_test

import (
	"context"
	"encoding/binary"
	"strconv"
	"testing"

	"github.com/tetratelabs/wazero"
	wapi "github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// pluginExamples builds examples/plugin in every language.
var pluginExamples = []struct {
	name  string
	build func(t testing.TB) string
}{
	{"c", func(t testing.TB) string { return buildC(t, "../examples/plugin/c/plugin.c") }},
	{"assemblyscript", func(t testing.TB) string { return buildAS(t, "../examples/plugin/assemblyscript/plugin.ts") }},
	{"go", func(t testing.TB) string { return buildGo(t, "./examples/plugin/go") }},
	{"rust", func(t testing.TB) string { return buildRust(t, "../examples/plugin/rust/plugin.rs") }},
}

// abi3Guest runs one guest against a minimal ABI 3 host of the test's own:
// its configuration, its state in a map, its log lines kept. It checks the
// guest side of the contract (guests/README.md, "ABI version 3").
type abi3Guest struct {
	t       testing.TB
	mod     wapi.Module
	config  string
	state   map[string]string
	logs    []string
	pending []byte
	buf     uint32
}

func newABI3Guest(t testing.TB, wasm, config string) *abi3Guest {
	t.Helper()
	ctx := context.Background()
	g := &abi3Guest{t: t, config: config, state: map[string]string{}}
	rt := wazero.NewRuntime(ctx)
	t.Cleanup(func() { _ = rt.Close(ctx) })
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	b := rt.NewHostModuleBuilder("starling")
	fn := func(name string, f wapi.GoModuleFunc, params, results []wapi.ValueType) {
		b.NewFunctionBuilder().WithGoModuleFunction(f, params, results).Export(name)
	}
	i32s := func(n int) []wapi.ValueType {
		ts := make([]wapi.ValueType, n)
		for i := range ts {
			ts[i] = wapi.ValueTypeI32
		}
		return ts
	}
	fn("log", g.log, i32s(3), nil)
	fn("now", func(_ context.Context, _ wapi.Module, s []uint64) { s[0] = 1 }, nil, []wapi.ValueType{wapi.ValueTypeI64})
	fn("call", g.answer(`{"status":500,"error":{"message":"no API here"},"result":null}`), i32s(2), i32s(1))
	fn("call_result", g.callResult, i32s(1), nil)
	fn("config", func(_ context.Context, _ wapi.Module, s []uint64) { s[0] = g.keep([]byte(g.config)) }, nil, i32s(1))
	fn("state_get", g.stateGet, i32s(2), i32s(1))
	fn("state_set", g.stateSet, i32s(4), i32s(1))
	fn("state_delete", g.stateDelete, i32s(2), i32s(1))
	fn("state_incr", g.stateIncr, []wapi.ValueType{wapi.ValueTypeI32, wapi.ValueTypeI32, wapi.ValueTypeI64, wapi.ValueTypeI32}, i32s(1))
	fn("http_request", g.answer(`{"error":{"message":"no network here"}}`), i32s(2), i32s(1))
	if _, err := b.Instantiate(ctx); err != nil {
		t.Fatal(err)
	}
	env := rt.NewHostModuleBuilder("env")
	env.NewFunctionBuilder().WithGoModuleFunction(wapi.GoModuleFunc(func(context.Context, wapi.Module, []uint64) {
		panic("guest aborted")
	}), i32s(4), nil).Export("abort")
	if _, err := env.Instantiate(ctx); err != nil {
		t.Fatal(err)
	}
	code := readFile(t, wasm)
	mod, err := rt.InstantiateWithConfig(ctx, code, wazero.NewModuleConfig().WithStartFunctions("_initialize"))
	if err != nil {
		t.Fatal(err)
	}
	g.mod = mod
	g.buf = uint32(g.call("starling_alloc", 64<<10))
	return g
}

func (g *abi3Guest) mem() wapi.Memory { return g.mod.Memory() }

func (g *abi3Guest) bytes(ptr, n uint64) []byte {
	b, ok := g.mem().Read(uint32(ptr), uint32(n))
	if !ok {
		g.t.Fatalf("[%#x, +%d) outside memory", ptr, n)
	}
	return append([]byte(nil), b...)
}

// keep makes b the answer call_result copies and returns its length.
func (g *abi3Guest) keep(b []byte) uint64 {
	g.pending = b
	return uint64(len(b))
}

func (g *abi3Guest) answer(s string) wapi.GoModuleFunc {
	return func(_ context.Context, _ wapi.Module, st []uint64) { st[0] = g.keep([]byte(s)) }
}

func (g *abi3Guest) log(_ context.Context, _ wapi.Module, s []uint64) {
	g.logs = append(g.logs, string(g.bytes(s[1], s[2])))
}

func (g *abi3Guest) callResult(_ context.Context, _ wapi.Module, s []uint64) {
	if !g.mem().Write(uint32(s[0]), g.pending) {
		panic("call_result outside memory")
	}
}

func (g *abi3Guest) stateGet(_ context.Context, _ wapi.Module, s []uint64) {
	v, ok := g.state[string(g.bytes(s[0], s[1]))]
	if !ok {
		s[0] = uint64(uint32(0xffffffff)) // -1
		return
	}
	s[0] = g.keep([]byte(v))
}

func (g *abi3Guest) stateSet(_ context.Context, _ wapi.Module, s []uint64) {
	g.state[string(g.bytes(s[0], s[1]))] = string(g.bytes(s[2], s[3]))
	s[0] = 0
}

func (g *abi3Guest) stateDelete(_ context.Context, _ wapi.Module, s []uint64) {
	k := string(g.bytes(s[0], s[1]))
	_, ok := g.state[k]
	delete(g.state, k)
	s[0] = 0
	if ok {
		s[0] = 1
	}
}

func (g *abi3Guest) stateIncr(_ context.Context, _ wapi.Module, s []uint64) {
	k := string(g.bytes(s[0], s[1]))
	n := int64(0)
	if v, ok := g.state[k]; ok {
		var err error
		if n, err = strconv.ParseInt(v, 10, 64); err != nil {
			s[0] = uint64(uint32(0xfffffffc)) // -4
			return
		}
	}
	n += int64(s[2])
	g.state[k] = strconv.FormatInt(n, 10)
	var out [8]byte
	binary.LittleEndian.PutUint64(out[:], uint64(n))
	g.mem().Write(uint32(s[3]), out[:])
	s[0] = 0
}

// call calls an export with its arguments and returns its one result.
func (g *abi3Guest) call(name string, args ...uint64) uint64 {
	g.t.Helper()
	f := g.mod.ExportedFunction(name)
	if f == nil {
		g.t.Fatalf("the guest does not export %s", name)
	}
	res, err := f.Call(context.Background(), args...)
	if err != nil {
		g.t.Fatalf("%s: %v", name, err)
	}
	return res[0]
}

// packed calls an (ptr, len) -> packed export with input in the input
// buffer and returns what it answered and whether it is an error object.
func (g *abi3Guest) packed(name, input string) (string, bool) {
	g.t.Helper()
	if !g.mem().Write(g.buf, []byte(input)) {
		g.t.Fatal("input outside memory")
	}
	p := g.call(name, uint64(g.buf), uint64(len(input)))
	n := uint32(p)
	return string(g.bytes(p>>32, uint64(n&^(1<<31)))), n&(1<<31) != 0
}

func TestPluginExamples(t *testing.T) {
	const cfg = `{"minPrice":0,"maxPrice":1000}`
	for _, l := range pluginExamples {
		t.Run(l.name, func(t *testing.T) {
			wasm := l.build(t)
			g := newABI3Guest(t, wasm, cfg)
			checkPluginManifest(t, g)
			if out, isErr := g.packed("starling_init", `{"config":`+cfg+`}`); isErr {
				t.Fatalf("init: %s", out)
			}
			if out, isErr := g.packed("starling_init", `{"config":{"minPrice":5,"maxPrice":1}}`); !isErr {
				t.Fatalf("init with minPrice > maxPrice: %s, want an error", out)
			}
			checkPluginPipe(t, g, l.name, "0 and 1000", "0", "10", "1000")
			checkPluginLogins(t, g)

			narrow := newABI3Guest(t, wasm, `{"minPrice":100,"maxPrice":200}`)
			checkPluginPipe(t, narrow, l.name, "100 and 200", "100", "150.5", "200")
		})
	}
}

func checkPluginManifest(t *testing.T, g *abi3Guest) {
	t.Helper()
	if v := int32(g.call("starling_abi_version")); v != 3 {
		t.Fatalf("ABI version %d, want 3", v)
	}
	p := g.call("starling_manifest")
	var m struct {
		Controller string   `json:"controller"`
		Actions    []string `json:"actions"`
		Pipes      []string `json:"pipes"`
		Hooks      []string `json:"hooks"`
	}
	raw := g.bytes(p>>32, uint64(uint32(p)))
	if err := jsonx.Unmarshal(raw, &m); err != nil {
		t.Fatalf("manifest %s: %v", raw, err)
	}
	if m.Controller != "plugin" || len(m.Actions) != 1 || m.Actions[0] != "stats" ||
		len(m.Pipes) != 1 || m.Pipes[0] != "document:beforeCreate" || len(m.Hooks) != 1 || m.Hooks[0] != "auth:afterLogin" {
		t.Fatalf("manifest %s", raw)
	}
}

// checkPluginPipe checks that prices within the range pass, stamped, and
// the others are refused with api.assert.invalid_argument.
func checkPluginPipe(t *testing.T, g *abi3Guest, lang, bounds string, inside ...string) {
	t.Helper()
	event := func(body string) string {
		return `{"event":"document:beforeCreate","request":{"controller":"document","action":"create",` +
			`"requestId":"r1","args":{"index":"shop","collection":"items"},"body":` + body +
			`,"connection":{"id":"c1","protocol":"mqtt"}}}`
	}
	for _, price := range inside {
		out, isErr := g.packed("starling_pipe", event(`{"name":"pen","price":`+price+`}`))
		var answer struct {
			Request struct {
				Body map[string]any `json:"body"`
			} `json:"request"`
		}
		if isErr || jsonx.Unmarshal([]byte(out), &answer) != nil {
			t.Fatalf("price %s: %s (error %v)", price, out, isErr)
		}
		body := answer.Request.Body
		if body["checkedBy"] != "plugin-"+lang || body["name"] != "pen" || strconv.FormatFloat(body["price"].(float64), 'g', -1, 64) != price {
			t.Fatalf("price %s: body %v", price, body)
		}
	}
	for _, body := range []string{`{"price":-1}`, `{"price":1000.5}`, `{"price":"cheap"}`, `{"name":"pen"}`, `[1]`} {
		out, isErr := g.packed("starling_pipe", event(body))
		if !isErr {
			t.Fatalf("body %s: %s, want an error", body, out)
		}
		kerr := guestKerror(t, out)
		want := `Invalid argument "body.price". Expected: a number between ` + bounds
		if kerr.ID != "api.assert.invalid_argument" || kerr.Message != want {
			t.Fatalf("body %s: %s / %q, want %q", body, kerr.ID, kerr.Message, want)
		}
	}
}

// guestKerror builds the Kuzzle error a host makes of a guest's error
// object (guests/README.md): a catalogued id kept, with the guest's message
// if any.
func guestKerror(t *testing.T, out string) *kerror.Error {
	var e struct {
		ID      string `json:"id"`
		Message string `json:"message"`
		Props   []any  `json:"props"`
	}
	if err := jsonx.Unmarshal([]byte(out), &e); err != nil || !kerror.Known(e.ID) {
		t.Fatalf("error object %s", out)
	}
	if e.Message != "" {
		return kerror.WithMessage(e.Message, e.ID, e.Props...)
	}
	return kerror.New(e.ID, e.Props...)
}

// checkPluginLogins checks that the hook counts logins and stats tells.
func checkPluginLogins(t *testing.T, g *abi3Guest) {
	t.Helper()
	stats := `{"controller":"plugin-x/plugin","action":"stats","requestId":"r2","args":{},"connection":{"id":"c1","protocol":"mqtt"}}`
	if out, isErr := g.packed("starling_handle", stats); isErr || out != `{"logins":0}` {
		t.Fatalf("stats before any login: %s (error %v)", out, isErr)
	}
	login := `{"event":"auth:afterLogin","request":{"controller":"auth","action":"login","requestId":"r3","args":{"strategy":"local"},` +
		`"connection":{"id":"c1","protocol":"mqtt"}},"result":{"_id":"alice","jwt":"x"}}`
	for i := 0; i < 3; i++ {
		if out, isErr := g.packed("starling_hook", login); isErr {
			t.Fatalf("hook: %s", out)
		}
	}
	if g.state["logins"] != "3" {
		t.Fatalf("state %v, want logins 3", g.state)
	}
	if out, isErr := g.packed("starling_handle", stats); isErr || out != `{"logins":3}` {
		t.Fatalf("stats: %s (error %v)", out, isErr)
	}
	g.state["logins"] = "many"
	if out, isErr := g.packed("starling_hook", login); !isErr {
		t.Fatalf("hook on a value that is no integer: %s, want an error", out)
	}
}
