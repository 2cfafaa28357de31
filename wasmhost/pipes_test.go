package wasmhost_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/starlingmq/starling/actors/node"
	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/jsonx"
)

// buildPipes builds testdata/pipes.c as an ABI 3 guest with the given
// manifest, stamping what it changes with tag; flags are more compiler
// flags (-DSTARLING_NO_PIPE leaves the C SDK's starling_pipe export out).
func buildPipes(t testing.TB, manifest, tag string, flags ...string) string {
	clang := need(t, "clang-14")
	return build(t, "pipes:"+manifest+":"+tag+":"+strings.Join(flags, " "), func(out string) *exec.Cmd {
		args := append([]string{"--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-mexec-model=reactor", "-Wall",
			"-DSTARLING_ABI_VERSION=3", "-DPIPE_MANIFEST=" + strconv.Quote(manifest), "-DTAG=" + strconv.Quote(tag)}, flags...)
		return exec.Command(clang, append(args, "-I", filepath.Join(root, "guests/c"), "-o", out,
			filepath.Join(root, "guests/c/starling.c"), "testdata/pipes.c")...)
	})
}

// readFile returns a built module's code.
func readFile(t testing.TB, path string) []byte {
	t.Helper()
	code, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// pipeServer is a node whose own Wasm host (plugins.wasm.dir) serves the
// given modules, with a stand-in realtime:publish that records what is
// published (the hooks of pipes.c publish what they are told).
type pipeServer struct {
	node      *node.Node
	addr      string
	published chan published
}

// startPipeServer starts it; tune, if not nil, edits the configuration.
func startPipeServer(t testing.TB, modules map[string]string, tune func(*config.Config)) *pipeServer {
	t.Helper()
	cfg, err := config.Load(config.Sources{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Server.MQTT.Host, cfg.Server.MQTT.Port = "127.0.0.1", 0
	cfg.Server.Host, cfg.Server.Port = "127.0.0.1", 0
	cfg.Storage.Path = t.TempDir()
	cfg.Wasm.Dir, cfg.Wasm.DirSet = t.TempDir(), true
	cfg.Wasm.CacheDir = filepath.Join(buildDir, "cache")
	cfg.Wasm.WatchInterval = 20 * time.Millisecond
	if tune != nil {
		tune(cfg)
	}
	for name, wasm := range modules {
		install(t, cfg.Wasm.Dir, name, wasm)
	}
	s := &pipeServer{published: make(chan published, 64)}
	s.node = startRecordingNode(t, cfg, s.published)
	s.addr = s.node.MQTTAddr().String()
	return s
}

// collection creates index i and collection c.
func collection(t *testing.T, cl *client) {
	t.Helper()
	for _, p := range []string{
		`{"controller":"index","action":"create","index":"i"}`,
		`{"controller":"collection","action":"create","index":"i","collection":"c"}`,
	} {
		if r := cl.call(t, p); r.Status != 200 {
			t.Fatalf("%s: %s", p, r.raw)
		}
	}
}

// source returns the stored document's _source, "" when it does not exist.
func source(t *testing.T, cl *client, id string) string {
	t.Helper()
	r := cl.call(t, `{"controller":"document","action":"get","index":"i","collection":"c","_id":"`+id+`"}`)
	if r.Status == 404 {
		return ""
	}
	var doc struct {
		Source map[string]jsonx.RawMessage `json:"_source"`
	}
	if r.Status != 200 || jsonx.Unmarshal(r.Result, &doc) != nil {
		t.Fatalf("get %s: %s", id, r.raw)
	}
	delete(doc.Source, "_kuzzle_info")
	out, err := jsonx.Marshal(doc.Source)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// create sends document:create of body as id, with volatile.pipe set.
func create(t *testing.T, cl *client, id, pipe, body string) response {
	t.Helper()
	return cl.call(t, `{"controller":"document","action":"create","index":"i","collection":"c","_id":"`+id+
		`","volatile":{"pipe":"`+pipe+`"},"body":`+body+`}`)
}

const beforeCreate = `{"pipes":["document:beforeCreate"]}`

func TestPipeBeforeStampsTheDocument(t *testing.T) {
	s := startPipeServer(t, map[string]string{"stamp": buildPipes(t, beforeCreate, "a")}, nil)
	cl := connect(t, s.addr)
	collection(t, cl)
	if r := create(t, cl, "d1", "stamp", `{"x":1}`); r.Status != 200 || !strings.Contains(string(r.Result), `"stampedBy":"a"`) {
		t.Fatalf("create: %s", r.raw)
	}
	if got := source(t, cl, "d1"); got != `{"inner":{"x":1},"stampedBy":"a"}` {
		t.Fatalf("stored %s", got)
	}
	// A pipe answering nothing, or {}, leaves the request as it is.
	for _, pipe := range []string{"none", "empty"} {
		if r := create(t, cl, "d-"+pipe, pipe, `{"x":2}`); r.Status != 200 {
			t.Fatalf("create: %s", r.raw)
		}
		if got := source(t, cl, "d-"+pipe); got != `{"x":2}` {
			t.Fatalf("%s: stored %s", pipe, got)
		}
	}
}

func TestPipeBeforeRejects(t *testing.T) {
	s := startPipeServer(t, map[string]string{"guard": buildPipes(t, beforeCreate, "a")}, nil)
	cl := connect(t, s.addr)
	collection(t, cl)
	r := create(t, cl, "d1", "reject", `{"x":1}`)
	if r.Status != 403 || r.Error == nil || r.Error.ID != "security.rights.forbidden" || r.Error.Message != "no creation today (a)" {
		t.Fatalf("rejected create: %s", r.raw)
	}
	r = create(t, cl, "d2", "unknownid", `{"x":1}`)
	if r.Status != 500 || r.Error == nil || r.Error.ID != "plugin.runtime.unexpected_error" || !strings.Contains(r.Error.Message, "mine") {
		t.Fatalf("uncatalogued error: %s", r.raw)
	}
	for _, id := range []string{"d1", "d2"} {
		if got := source(t, cl, id); got != "" {
			t.Fatalf("%s written: %s", id, got)
		}
	}
}

func TestPipeAfterChangesTheResult(t *testing.T) {
	s := startPipeServer(t, map[string]string{"after": buildPipes(t, `{"pipes":["document:afterCreate"]}`, "a")}, nil)
	cl := connect(t, s.addr)
	collection(t, cl)
	r := create(t, cl, "d1", "after", `{"x":1}`)
	var res struct {
		ChangedBy string `json:"changedBy"`
		Inner     struct {
			ID string `json:"_id"`
		} `json:"inner"`
	}
	if r.Status != 200 || jsonx.Unmarshal(r.Result, &res) != nil || res.ChangedBy != "a" || res.Inner.ID != "d1" {
		t.Fatalf("create: %s", r.raw)
	}
	if got := source(t, cl, "d1"); got != `{"x":1}` {
		t.Fatalf("stored %s", got)
	}
}

func TestPipeOnErrorTurnsAnErrorIntoAResult(t *testing.T) {
	s := startPipeServer(t, map[string]string{"rescue": buildPipes(t, `{"pipes":["request:onError"]}`, "a")}, nil)
	cl := connect(t, s.addr)
	collection(t, cl)
	r := cl.call(t, `{"controller":"document","action":"get","index":"i","collection":"c","_id":"nope","volatile":{"pipe":"recover"}}`)
	var res struct {
		RecoveredBy string `json:"recoveredBy"`
		Error       struct {
			ID     string `json:"id"`
			Status int    `json:"status"`
		} `json:"error"`
	}
	if r.Status != 200 || r.Error != nil || jsonx.Unmarshal(r.Result, &res) != nil || res.RecoveredBy != "a" ||
		res.Error.ID != "services.storage.not_found" || res.Error.Status != 404 {
		t.Fatalf("get: %s", r.raw)
	}
	// Without the pipe's say-so, the error stays.
	if r := cl.call(t, `{"controller":"document","action":"get","index":"i","collection":"c","_id":"nope"}`); r.Status != 404 {
		t.Fatalf("get: %s", r.raw)
	}
}

func TestPipeChainInModuleNameOrder(t *testing.T) {
	s := startPipeServer(t, map[string]string{
		"b-second": buildPipes(t, beforeCreate, "b"),
		"a-first":  buildPipes(t, `{"pipes":["document:before*"]}`, "a"),
	}, nil)
	cl := connect(t, s.addr)
	collection(t, cl)
	if r := create(t, cl, "d1", "stamp", `{"x":1}`); r.Status != 200 {
		t.Fatalf("create: %s", r.raw)
	}
	if got := source(t, cl, "d1"); got != `{"inner":{"inner":{"x":1},"stampedBy":"a"},"stampedBy":"b"}` {
		t.Fatalf("stored %s", got)
	}
	// The first pipe's refusal stops the chain.
	if r := create(t, cl, "d2", "reject", `{"x":1}`); r.Status != 403 || r.Error.Message != "no creation today (a)" {
		t.Fatalf("create: %s", r.raw)
	}
}

func TestPipeWildcards(t *testing.T) {
	s := startPipeServer(t, map[string]string{"any": buildPipes(t, `{"pipes":["document:*"]}`, "w")}, nil)
	cl := connect(t, s.addr)
	collection(t, cl)
	// document:* is told of beforeCreate (no result: it answers nothing)
	// and afterCreate (it wraps the result).
	r := create(t, cl, "d1", "after", `{"x":1}`)
	if r.Status != 200 || !strings.HasPrefix(string(r.Result), `{"changedBy":"w"`) {
		t.Fatalf("create: %s", r.raw)
	}
	// Other controllers' events are not its.
	if r := cl.call(t, `{"controller":"server","action":"now","volatile":{"pipe":"after"}}`); r.Status != 200 || strings.Contains(string(r.Result), "changedBy") {
		t.Fatalf("server:now: %s", r.raw)
	}
}

func TestPipeTimeout(t *testing.T) {
	s := startPipeServer(t, map[string]string{"slow": buildPipes(t, beforeCreate, "a")}, func(c *config.Config) {
		c.PluginsCommon.PipeTimeout = 300 * time.Millisecond
	})
	cl := connect(t, s.addr)
	collection(t, cl)
	r := create(t, cl, "d1", "loop", `{"x":1}`)
	if r.Status != 504 || r.Error == nil || r.Error.ID != "plugin.runtime.pipe_timeout" ||
		!strings.Contains(r.Error.Message, `"slow"`) || !strings.Contains(r.Error.Message, "document:beforeCreate") || !strings.Contains(r.Error.Message, "300ms") {
		t.Fatalf("looping pipe: %s", r.raw)
	}
	if got := source(t, cl, "d1"); got != "" {
		t.Fatalf("written: %s", got)
	}
	if r := create(t, cl, "d2", "stamp", `{"x":1}`); r.Status != 200 {
		t.Fatalf("after the timeout: %s", r.raw)
	}
}

func TestPipeTooManyPipes(t *testing.T) {
	s := startPipeServer(t, map[string]string{"slow": buildPipes(t, beforeCreate, "a")}, func(c *config.Config) {
		c.PluginsCommon.PipeTimeout = time.Second
		c.PluginsCommon.MaxConcurrentPipes, c.PluginsCommon.PipesBufferSize = 1, 1
	})
	cl := connect(t, s.addr)
	collection(t, cl)
	aside := map[string]response{}
	var ids []string
	for i := range 3 {
		ids = append(ids, cl.send(t, `{"controller":"document","action":"create","index":"i","collection":"c","_id":"l`+strconv.Itoa(i)+`","volatile":{"pipe":"loop"},"body":{}}`))
	}
	counts := map[string]int{}
	for _, id := range ids {
		r := cl.await(t, id, aside)
		if r.Error == nil {
			t.Fatalf("%s: %s", id, r.raw)
		}
		counts[r.Error.ID]++
		if r.Error.ID == "plugin.runtime.too_many_pipes" && r.Status != 503 {
			t.Fatalf("status: %s", r.raw)
		}
	}
	if counts["plugin.runtime.pipe_timeout"] != 2 || counts["plugin.runtime.too_many_pipes"] != 1 {
		t.Fatalf("errors: %v", counts)
	}
}

// TestPipeQuarantine: a module whose pipe traps five times in a row is
// quarantined: its pipe is not called, and the requests it would change
// fail saying until when, without being written.
func TestPipeQuarantine(t *testing.T) {
	s := startPipeServer(t, map[string]string{"bad": buildPipes(t, beforeCreate, "a")}, nil)
	cl := connect(t, s.addr)
	collection(t, cl)
	for i := range 5 {
		if r := create(t, cl, fmt.Sprintf("t%d", i), "trap", `{"x":1}`); r.Error == nil || !strings.Contains(r.Error.Message, "unreachable") {
			t.Fatalf("trap %d: %s", i, r.raw)
		}
	}
	r := create(t, cl, "q", "stamp", `{"x":1}`)
	if r.Status != 500 || r.Error == nil || r.Error.ID != "plugin.runtime.unexpected_error" ||
		!strings.Contains(r.Error.Message, "module bad is quarantined until") {
		t.Fatalf("create during the quarantine: %s", r.raw)
	}
	if got := source(t, cl, "q"); got != "" {
		t.Fatalf("written during the quarantine: %s", got)
	}
}

// TestPipeFaults: a pipe that traps or answers garbage fails its request
// with plugin.runtime.unexpected_error naming the module and the event;
// nothing is written and the next request is served.
func TestPipeFaults(t *testing.T) {
	s := startPipeServer(t, map[string]string{"bad": buildPipes(t, beforeCreate, "a")}, nil)
	cl := connect(t, s.addr)
	collection(t, cl)
	for _, tt := range []struct{ pipe, message string }{
		{"trap", "unreachable"},
		{"notjson", "not a JSON object"},
		{"array", "not a JSON object"},
		{"badkey", `unexpected key "what"`},
		{"resultbefore", `unexpected key "result"`},
		{"controller", `may not set "controller"`},
		{"jwt", `may not set "jwt"`},
	} {
		t.Run(tt.pipe, func(t *testing.T) {
			r := create(t, cl, "d-"+tt.pipe, tt.pipe, `{"x":1}`)
			if r.Status != 500 || r.Error == nil || r.Error.ID != "plugin.runtime.unexpected_error" ||
				!strings.Contains(r.Error.Message, `module "bad", pipe on document:beforeCreate`) || !strings.Contains(r.Error.Message, tt.message) {
				t.Fatalf("got %s, want %q", r.raw, tt.message)
			}
			if got := source(t, cl, "d-"+tt.pipe); got != "" {
				t.Fatalf("written: %s", got)
			}
			if r := create(t, cl, "ok-"+tt.pipe, "stamp", `{"x":1}`); r.Status != 200 {
				t.Fatalf("next request: %s", r.raw)
			}
		})
	}
}

// TestPipeTriggerEvents: a guest's own API call fires events only when it
// sets triggerEvents.
func TestPipeTriggerEvents(t *testing.T) {
	s := startPipeServer(t, map[string]string{
		"faults": buildC(t, "testdata/faults.c"),
		"stamp":  buildPipes(t, `{"pipes":["realtime:beforePublish"]}`, "a"),
	}, nil)
	cl := connect(t, s.addr)
	for _, tt := range []struct{ trigger, want string }{
		{"", `{"x":1}`},
		{`"triggerEvents":true,`, `{"stampedBy":"a","inner":{"x":1}}`},
	} {
		r := cl.call(t, `{"controller":"faults/faults","action":"call","body":{"controller":"realtime","action":"publish",`+tt.trigger+
			`"index":"i","collection":"c","volatile":{"pipe":"stamp"},"body":{"x":1}}}`)
		if r.Status != 200 {
			t.Fatalf("call: %s", r.raw)
		}
		if p := nextPublished(t, s); p.body != tt.want {
			t.Fatalf("%q: published %s, want %s", tt.trigger, p.body, tt.want)
		}
	}
	// A client's publish goes through the pipe.
	if r := cl.call(t, `{"controller":"realtime","action":"publish","index":"i","collection":"c","volatile":{"pipe":"stamp"},"body":{"x":1}}`); r.Status != 200 {
		t.Fatalf("publish: %s", r.raw)
	}
	if p := nextPublished(t, s); p.body != `{"stampedBy":"a","inner":{"x":1}}` {
		t.Fatalf("published %s", p.body)
	}
}

func nextPublished(t *testing.T, s *pipeServer) published {
	t.Helper()
	select {
	case p := <-s.published:
		return p
	case <-time.After(wait):
		t.Fatal("nothing published")
	}
	return published{}
}

// TestPipeFollowsModuleChanges: removing a module's file stops its pipes,
// a new version's manifest takes over at once.
func TestPipeFollowsModuleChanges(t *testing.T) {
	var dir string
	s := startPipeServer(t, map[string]string{"mod": buildPipes(t, beforeCreate, "a")}, func(c *config.Config) { dir = c.Wasm.Dir })
	cl := connect(t, s.addr)
	collection(t, cl)
	// until sends document:create with volatile.pipe until the result
	// satisfies ok.
	n := 0
	until := func(pipe string, ok func(string) bool) {
		t.Helper()
		deadline := time.Now().Add(wait)
		for {
			n++
			r := create(t, cl, "d"+strconv.Itoa(n), pipe, `{"x":1}`)
			if r.Status == 200 && ok(string(r.Result)) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("last answer: %s", r.raw)
			}
		}
	}
	until("stamp", func(res string) bool { return strings.Contains(res, `"stampedBy":"a"`) })
	if err := os.Remove(filepath.Join(dir, "mod.wasm")); err != nil {
		t.Fatal(err)
	}
	until("stamp", func(res string) bool { return !strings.Contains(res, "stampedBy") })
	install(t, dir, "mod", buildPipes(t, `{"pipes":["document:afterCreate"]}`, "b"))
	until("after", func(res string) bool { return strings.HasPrefix(res, `{"changedBy":"b"`) })
	// The new version refuses after the action, no longer before it: the
	// document is written, the client gets the refusal.
	if r := create(t, cl, "last", "reject", `{"x":1}`); r.Status != 403 {
		t.Fatalf("create: %s", r.raw)
	}
	if got := source(t, cl, "last"); got != `{"x":1}` {
		t.Fatalf("stored %s", got)
	}
}

// TestPipeOnAWasmController: a module may pipe another module's actions,
// even one loaded after it in the same scan of the directory.
func TestPipeOnAWasmController(t *testing.T) {
	s := startPipeServer(t, map[string]string{
		"a-pipes": buildPipes(t, `{"pipes":["z-ctl/faults:afterEcho"]}`, "a"),
		"z-ctl":   buildC(t, "testdata/faults.c"),
	}, nil)
	cl := connect(t, s.addr)
	r := cl.call(t, `{"controller":"z-ctl/faults","action":"echo","volatile":{"pipe":"after"}}`)
	if r.Status != 200 || !strings.HasPrefix(string(r.Result), `{"changedBy":"a","inner":{"controller":"z-ctl/faults"`) {
		t.Fatalf("echo: %s", r.raw)
	}
}
