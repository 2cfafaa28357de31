package wasmhost_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/starlingmq/starling/actors/node"
	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/jsonx"
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

// pluginRange is the price range the tests configure: not the examples'
// defaults (0 and 1000), so that a guest ignoring its configuration fails,
// with a bound that is no integer, which every language must print alike.
const (
	pluginRange  = `{"minPrice":10,"maxPrice":250.5}`
	pluginBounds = "10 and 250.5"
)

// logLines keeps what a node logs, as text lines, for tests that read it.
type logLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// line returns the first line holding every part, "" when there is none.
func (l *logLines) line(parts ...string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
next:
	for _, line := range strings.Split(l.buf.String(), "\n") {
		for _, p := range parts {
			if !strings.Contains(line, p) {
				continue next
			}
		}
		return line
	}
	return ""
}

// pluginNode is a node started from a kuzzlerc file, with its log.
type pluginNode struct {
	node *node.Node
	addr string
	logs *logLines
	stop func()
}

// writeKuzzlerc writes a kuzzlerc file whose plugins.wasm section names the
// module directory and each module's settings (module name → the JSON
// object of plugins.wasm.modules.NAME), and returns its path.
func writeKuzzlerc(t *testing.T, dir string, settings map[string]string) string {
	t.Helper()
	modules := map[string]jsonx.RawMessage{}
	for name, s := range settings {
		modules[name] = jsonx.RawMessage(s)
	}
	rc, err := jsonx.Marshal(map[string]any{
		"plugins": map[string]any{"wasm": map[string]any{"dir": dir, "watchInterval": 20, "modules": modules}},
		// Kuzzle's default, 1 login a second per connection, would refuse
		// the login tests' logins in a row.
		"limits": map[string]any{"loginsPerSecond": 100},
	})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), ".kuzzlerc")
	if err := os.WriteFile(path, rc, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// withConfig is a module's settings giving it the configuration cfg.
func withConfig(cfg string) string { return `{"config":` + cfg + `}` }

// startPluginNode starts a node configured by the kuzzlerc file rc, on the
// store in storage and 127.0.0.1:0; stop shuts it down (also done with the
// test).
func startPluginNode(t *testing.T, rc, storage string) *pluginNode {
	t.Helper()
	cfg, err := config.Load(config.Sources{File: rc})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Server.MQTT.Host, cfg.Server.MQTT.Port = "127.0.0.1", 0
	cfg.Server.Host, cfg.Server.Port = "127.0.0.1", 0
	cfg.Storage.Path = storage
	cfg.Wasm.CacheDir = filepath.Join(buildDir, "cache")
	p := &pluginNode{logs: &logLines{}}
	var out io.Writer = p.logs
	if testing.Verbose() {
		out = io.MultiWriter(p.logs, testWriter{t})
	}
	logger := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if p.node, err = node.Start(node.Options{Config: cfg, Logger: logger}); err != nil {
		t.Fatal(err)
	}
	stopped := false
	p.stop = func() {
		if stopped {
			return
		}
		stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := p.node.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	}
	t.Cleanup(p.stop)
	p.addr = p.node.MQTTAddr().String()
	return p
}

// TestPluginExampleOverMQTT runs examples/plugin in each language, each in
// a server of its own: with the four in one server, their pipes would run
// one after the other in module name order on every create, so the first
// (assemblyscript) would refuse every bad price before the others saw it
// and the last (rust) would stamp every stored document; a language's pipe
// could then be broken unseen. Alone, each module's pipe, hook, action and
// init are its own. The node is then restarted on the same storage and
// module directory: the login count kept in the module's state survives.
func TestPluginExampleOverMQTT(t *testing.T) {
	for _, l := range pluginExamples {
		t.Run(l.name, func(t *testing.T) {
			module := "plugin-" + l.name
			storage, dir := t.TempDir(), t.TempDir()
			install(t, dir, module, l.build(t))
			rc := writeKuzzlerc(t, dir, map[string]string{module: withConfig(pluginRange)})
			s := startPluginNode(t, rc, storage)
			// init read the kuzzlerc's configuration (and says so).
			if s.logs.line("source=guest", "price range [10, 250.5]") == "" {
				t.Errorf("init did not log the configured range [10, 250.5]")
			}
			cl := connect(t, s.addr)
			collection(t, cl)
			checkPriceGuard(t, cl, module)
			user := checkLoginCount(t, s, cl, module)
			s.stop()

			s = startPluginNode(t, rc, storage)
			cl = connect(t, s.addr)
			expectResult(t, cl, statsRequest(module), `{"logins":4}`) // checkLoginCount's
			// The count goes on from the stored value.
			connectAs(t, s.addr, user)
			untilLogins(t, cl, module, 5)
			if r := createPriced(t, cl, "after-restart", `{"price":250.6}`); r.Error == nil || r.Error.ID != "api.assert.invalid_argument" {
				t.Fatalf("create after the restart: %s", r.raw)
			}
		})
	}
}

// statsRequest is the example's stats action.
func statsRequest(module string) string {
	return `{"controller":"` + module + `/plugin","action":"stats"}`
}

// createPriced sends document:create of body as id in index i, collection c.
func createPriced(t *testing.T, cl *client, id, body string) response {
	t.Helper()
	return cl.call(t, `{"controller":"document","action":"create","index":"i","collection":"c","_id":"`+id+`","body":`+body+`}`)
}

// checkPriceGuard: prices within the configured range are written stamped
// with checkedBy; the others, and documents without a numeric price, are
// refused with api.assert.invalid_argument and not written.
func checkPriceGuard(t *testing.T, cl *client, module string) {
	t.Helper()
	for i, price := range []string{"10", "99.99", "250.5"} {
		id := "in" + strconv.Itoa(i)
		r := createPriced(t, cl, id, `{"name":"pen","price":`+price+`}`)
		var res struct {
			ID     string `json:"_id"`
			Source struct {
				CheckedBy string `json:"checkedBy"`
			} `json:"_source"`
		}
		if r.Status != 200 || jsonx.Unmarshal(r.Result, &res) != nil || res.ID != id || res.Source.CheckedBy != module {
			t.Fatalf("create with price %s: %s", price, r.raw)
		}
		if got, want := source(t, cl, id), `{"checkedBy":"`+module+`","name":"pen","price":`+price+`}`; got != want {
			t.Fatalf("stored %s, want %s", got, want)
		}
	}
	refused := []string{
		`{"name":"pen","price":9.99}`, `{"name":"pen","price":250.51}`, `{"price":-1}`, `{"price":1e6}`,
		`{"name":"pen"}`, `{"price":"cheap"}`, `{"price":"12"}`, `{"price":null}`, `{"price":true}`, `{"price":{"amount":12}}`,
		`[1]`, // an array body reaches the pipe (the protocol refuses a string)
	}
	for i, body := range refused {
		id := "out" + strconv.Itoa(i)
		r := createPriced(t, cl, id, body)
		want := `Invalid argument "body.price". Expected: a number between ` + pluginBounds
		if r.Status != 400 || r.Error == nil || r.Error.ID != "api.assert.invalid_argument" || r.Error.Message != want {
			t.Fatalf("create of %s: %s, want api.assert.invalid_argument %q", body, r.raw, want)
		}
		if got := source(t, cl, id); got != "" {
			t.Fatalf("%s written: %s", body, got)
		}
	}
}

// pluginUser is the user the login tests create.
type pluginUser struct{ name, password string }

// checkLoginCount creates a user, logs in with a wrong password once (no
// auth:afterLogin), three times with auth:login and once with MQTT CONNECT
// credentials, and waits for stats to count the four logins. It returns
// the user.
func checkLoginCount(t *testing.T, s *pluginNode, cl *client, module string) pluginUser {
	t.Helper()
	expectResult(t, cl, statsRequest(module), `{"logins":0}`)
	u := createShopper(t, cl)
	login := func(password string) response {
		return cl.call(t, `{"controller":"auth","action":"login","strategy":"local","body":{"username":"`+u.name+`","password":"`+password+`"}}`)
	}
	if r := login("wrong password"); r.Status != 401 {
		t.Fatalf("login with a wrong password: %s", r.raw)
	}
	for range 3 {
		var tok struct {
			JWT string `json:"jwt"`
		}
		if r := login(u.password); r.Status != 200 || jsonx.Unmarshal(r.Result, &tok) != nil || tok.JWT == "" {
			t.Fatalf("login: %s", r.raw)
		}
	}
	connectAs(t, s.addr, u)
	untilLogins(t, cl, module, 4)
	return u
}

// createShopper creates a user with local credentials.
func createShopper(t *testing.T, cl *client) pluginUser {
	t.Helper()
	u := pluginUser{"shopper", "the shopper's password"}
	r := cl.call(t, `{"controller":"security","action":"createUser","_id":"shopper","body":{"content":{"profileIds":["default"]},`+
		`"credentials":{"local":{"username":"`+u.name+`","password":"`+u.password+`"}}}}`)
	if r.Status != 200 {
		t.Fatalf("createUser: %s", r.raw)
	}
	return u
}

// connectAs logs in with MQTT CONNECT credentials, then disconnects.
func connectAs(t *testing.T, addr string, u pluginUser) {
	t.Helper()
	opts := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("plugin-" + u.name).
		SetUsername(u.name).SetPassword(u.password).SetAutoReconnect(false).SetConnectRetry(false)
	c := paho.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("connect as %s: %v", u.name, tok.Error())
	}
	c.Disconnect(100)
}

// untilLogins polls stats until it counts want logins (hooks run after
// their request is answered); a count past want fails at once.
func untilLogins(t *testing.T, cl *client, module string, want int) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		r := cl.call(t, statsRequest(module))
		var res struct {
			Logins *int `json:"logins"`
		}
		if r.Status != 200 || jsonx.Unmarshal(r.Result, &res) != nil || res.Logins == nil || *res.Logins > want {
			t.Fatalf("stats: %s, want {\"logins\":%d}", r.raw, want)
		}
		if *res.Logins == want && string(r.Result) == `{"logins":`+strconv.Itoa(want)+`}` {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats never counted %d logins: last %s", want, r.raw)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPluginExampleRefusesABadConfig: init refuses a range whose minimum
// passes its maximum, or that is no number; the module is then not loaded:
// its controller is unknown and creates are not piped.
func TestPluginExampleRefusesABadConfig(t *testing.T) {
	for _, l := range pluginExamples {
		t.Run(l.name, func(t *testing.T) {
			dir, wasm := t.TempDir(), l.build(t)
			configs := map[string]string{
				"plugin-" + l.name:           withConfig(`{"minPrice":500,"maxPrice":100}`),
				"plugin-" + l.name + "-text": withConfig(`{"minPrice":"cheap"}`),
			}
			for name := range configs {
				install(t, dir, name, wasm)
			}
			s := startPluginNode(t, writeKuzzlerc(t, dir, configs), t.TempDir())
			cl := connect(t, s.addr)
			for name := range configs {
				if s.logs.line("wasm module not loaded", "module="+name+" ", "starling_init: config: minPrice") == "" {
					t.Errorf("no log line saying that init refused %s's configuration", name)
				}
				r := cl.call(t, statsRequest(name))
				want := `API controller "` + name + `/plugin" not found.`
				if r.Status != 404 || r.Error == nil || r.Error.ID != "api.process.controller_not_found" || r.Error.Message != want {
					t.Errorf("stats of %s: %s, want api.process.controller_not_found", name, r.raw)
				}
			}
			collection(t, cl)
			if r := createPriced(t, cl, "d1", `{"name":"pen","price":5000}`); r.Status != 200 {
				t.Fatalf("create: %s", r.raw)
			}
			if got := source(t, cl, "d1"); got != `{"name":"pen","price":5000}` {
				t.Fatalf("stored %s", got)
			}
		})
	}
}

// TestPluginExamplesChained loads the four languages in one server, each
// with a range of its own (c with none: the defaults, 0 to 1000), as
// examples/plugin/README.md warns against: the pipes run in module name
// order (assemblyscript, c, go, rust), the first refusal stops the chain,
// and the stored document carries the last stamp.
func TestPluginExamplesChained(t *testing.T) {
	dir := t.TempDir()
	maxPrice := map[string]string{"assemblyscript": "1200", "go": "600", "rust": "400"}
	configs := map[string]string{}
	for _, l := range pluginExamples {
		module := "plugin-" + l.name
		install(t, dir, module, l.build(t))
		if m, ok := maxPrice[l.name]; ok {
			configs[module] = withConfig(`{"minPrice":0,"maxPrice":` + m + `}`)
		}
	}
	s := startPluginNode(t, writeKuzzlerc(t, dir, configs), t.TempDir())
	cl := connect(t, s.addr)
	collection(t, cl)
	for _, tt := range []struct{ price, refusedBy string }{
		{"1300", "0 and 1200"}, // by assemblyscript, the first
		{"1100", "0 and 1000"}, // by c, whose range is the default
		{"700", "0 and 600"},   // by go
		{"500", "0 and 400"},   // by rust, the last
	} {
		r := createPriced(t, cl, "p"+tt.price, `{"price":`+tt.price+`}`)
		if r.Error == nil || r.Error.Message != `Invalid argument "body.price". Expected: a number between `+tt.refusedBy {
			t.Fatalf("price %s: %s, want a refusal by the range %s", tt.price, r.raw, tt.refusedBy)
		}
		if got := source(t, cl, "p"+tt.price); got != "" {
			t.Fatalf("price %s written: %s", tt.price, got)
		}
	}
	if r := createPriced(t, cl, "ok", `{"price":300}`); r.Status != 200 {
		t.Fatalf("create: %s", r.raw)
	}
	if got := source(t, cl, "ok"); got != `{"checkedBy":"plugin-rust","price":300}` {
		t.Fatalf("stored %s", got)
	}
	// Each module counts the login in a state of its own.
	u := createShopper(t, cl)
	connectAs(t, s.addr, u)
	for _, l := range pluginExamples {
		untilLogins(t, cl, "plugin-"+l.name, 1)
	}
}

// TestPluginExampleHookFailure: with a state quota too small for its
// counter, the hook's state_incr fails; the hook's error is logged, the
// login it was told of is not failed, and nothing is counted.
func TestPluginExampleHookFailure(t *testing.T) {
	for _, l := range pluginExamples {
		t.Run(l.name, func(t *testing.T) {
			module, dir := "plugin-"+l.name, t.TempDir()
			install(t, dir, module, l.build(t))
			// The key "logins" and the value "1" take 7 bytes.
			s := startPluginNode(t, writeKuzzlerc(t, dir, map[string]string{module: `{"stateQuota":6}`}), t.TempDir())
			cl := connect(t, s.addr)
			u := createShopper(t, cl)
			r := cl.call(t, `{"controller":"auth","action":"login","strategy":"local","body":{"username":"`+u.name+`","password":"`+u.password+`"}}`)
			if r.Status != 200 {
				t.Fatalf("login: %s", r.raw)
			}
			deadline := time.Now().Add(wait)
			for s.logs.line("hook failed", "module="+module+" ", "auth:afterLogin", "returned an error", "state_incr logins") == "" {
				if time.Now().After(deadline) {
					t.Fatal("no log line of the hook's error")
				}
				time.Sleep(10 * time.Millisecond)
			}
			expectResult(t, cl, statsRequest(module), `{"logins":0}`)
		})
	}
}
