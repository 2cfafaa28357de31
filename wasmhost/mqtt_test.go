package wasmhost_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/starlingmq/starling/actors/node"
	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/wasmhost"
)

// published is one realtime:publish a guest made through the API.
type published struct {
	body, jwt string
	conn      api.Connection
}

// server is a node with a Wasm host watching a module directory.
type server struct {
	node      *node.Node
	host      *wasmhost.Host
	addr, dir string
	published chan published
	// registered receives the name of every controller (re)registered.
	registered chan string
}

// registrar forwards to the node and reports each registration.
type registrar struct {
	*node.Node
	registered chan string
}

func (r registrar) RegisterController(c api.Controller) {
	r.Node.RegisterController(c)
	r.registered <- c.Name
}

// startServer starts a node on 127.0.0.1:0 and a Wasm host watching a fresh
// directory holding the given modules (name → built .wasm). The node has a
// stand-in realtime:publish that records what guests publish.
func startServer(t *testing.T, limits wasmhost.Limits, modules map[string]string) *server {
	t.Helper()
	return startServerConfig(t, wasmhost.Config{Limits: limits}, modules)
}

// startRecordingNode starts a node on cfg, stopped at the end of the test,
// whose stand-in realtime:publish sends what is published to out.
func startRecordingNode(t testing.TB, cfg *config.Config, out chan<- published) *node.Node {
	t.Helper()
	realtime := api.Controller{Name: "realtime", Actions: map[string]api.Action{
		"publish": func(_ context.Context, req *api.Request) (any, error) {
			out <- published{string(req.Body), req.JWT, req.Connection}
			return map[string]bool{"published": true}, nil
		},
	}}
	n, err := node.Start(node.Options{Config: cfg, Logger: testLogger(t), Controllers: []api.Controller{realtime}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := n.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return n
}

// startServerConfig is startServer with the host's whole configuration
// (its WatchInterval is set).
func startServerConfig(t *testing.T, hcfg wasmhost.Config, modules map[string]string) *server {
	t.Helper()
	cfg, err := config.Load(config.Sources{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Server.MQTT.Host, cfg.Server.MQTT.Port = "127.0.0.1", 0
	cfg.Server.Host, cfg.Server.Port = "127.0.0.1", 0
	cfg.Storage.Path = t.TempDir()
	s := &server{dir: t.TempDir(), published: make(chan published, 64), registered: make(chan string, 64)}
	s.node = startRecordingNode(t, cfg, s.published)
	s.addr = s.node.MQTTAddr().String()
	for name, wasm := range modules {
		install(t, s.dir, name, wasm)
	}
	hcfg.WatchInterval = 20 * time.Millisecond
	s.host = newHost(t, hcfg, s.node)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := s.host.Watch(ctx, s.dir, registrar{s.node, s.registered}); err != nil {
		t.Fatal(err)
	}
	for range modules {
		expectRegistered(t, s, "")
	}
	return s
}

// expectRegistered waits for the next controller registration (of name,
// unless name is "").
func expectRegistered(t *testing.T, s *server, name string) {
	t.Helper()
	select {
	case got := <-s.registered:
		if name != "" && got != name {
			t.Fatalf("registered %s, want %s", got, name)
		}
	case <-time.After(wait):
		t.Fatalf("no controller registered (want %q)", name)
	}
}

// response is a decoded Kuzzle response.
type response struct {
	RequestID string           `json:"requestId"`
	Status    int              `json:"status"`
	Result    jsonx.RawMessage `json:"result"`
	Error     *struct {
		ID      string `json:"id"`
		Message string `json:"message"`
		Status  int    `json:"status"`
	} `json:"error"`
	raw string
}

// client is an MQTT 3.1.1 client subscribed to the response topic.
type client struct {
	c         paho.Client
	responses chan response
	seq       atomic.Int64
	name      string
}

var clientSeq atomic.Int64

func connect(t *testing.T, addr string) *client {
	t.Helper()
	cl := &client{responses: make(chan response, 256), name: fmt.Sprintf("wasm-test-%d", clientSeq.Add(1))}
	opts := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(cl.name).
		SetAutoReconnect(false).SetConnectRetry(false)
	cl.c = paho.NewClient(opts)
	if tok := cl.c.Connect(); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	t.Cleanup(func() { cl.c.Disconnect(100) })
	tok := cl.c.Subscribe("Kuzzle/response", 0, func(_ paho.Client, m paho.Message) {
		var r response
		if err := jsonx.Unmarshal(m.Payload(), &r); err == nil {
			r.raw = string(m.Payload())
			cl.responses <- r
		}
	})
	if !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	return cl
}

// send publishes a request (a JSON object without requestId) and returns
// the requestId it was given.
func (cl *client) send(t *testing.T, payload string) string {
	t.Helper()
	id := fmt.Sprintf("%s-%d", cl.name, cl.seq.Add(1))
	payload = `{"requestId":"` + id + `",` + strings.TrimPrefix(payload, "{")
	if tok := cl.c.Publish("Kuzzle/request", 0, false, payload); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	return id
}

// await returns the response to the request id; others are kept aside.
func (cl *client) await(t *testing.T, id string, aside map[string]response) response {
	t.Helper()
	if r, ok := aside[id]; ok {
		delete(aside, id)
		return r
	}
	deadline := time.After(wait)
	for {
		select {
		case r := <-cl.responses:
			if r.RequestID == id {
				return r
			}
			aside[r.RequestID] = r
		case <-deadline:
			t.Fatalf("no response to %s", id)
		}
	}
}

// call sends a request and waits for its response.
func (cl *client) call(t *testing.T, payload string) response {
	t.Helper()
	return cl.await(t, cl.send(t, payload), map[string]response{})
}

func TestMQTTFaults(t *testing.T) {
	s := startServer(t, wasmhost.Limits{MemoryPages: 64, CallTimeout: 500 * time.Millisecond, PoolSize: 2, MaxResultSize: 64 << 10},
		map[string]string{"faults": buildC(t, "testdata/faults.c")})
	cl := connect(t, s.addr)
	tests := []struct {
		action, id string
		status     int
		message    string
	}{
		{"loop", "core.sandbox.timeout", 504, "did not respond within 500ms"},
		{"bomb", "plugin.runtime.unexpected_error", 500, "out of memory"},
		{"trap", "plugin.runtime.unexpected_error", 500, "wasm error: unreachable"},
		{"badjson", "plugin.runtime.unexpected_error", 500, "invalid JSON"},
		{"huge", "plugin.runtime.unexpected_error", 500, "exceeds the limit of 65536 bytes"},
		{"nope", "api.process.action_not_found", 404, `"faults/faults":"nope" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			aside := map[string]response{}
			bad := cl.send(t, `{"controller":"faults/faults","action":"`+tt.action+`"}`)
			// Other requests keep flowing meanwhile.
			for i := 0; i < 5; i++ {
				if r := cl.await(t, cl.send(t, `{"controller":"faults/faults","action":"empty"}`), aside); r.Status != 200 {
					t.Fatalf("empty during %s: %s", tt.action, r.raw)
				}
			}
			r := cl.await(t, bad, aside)
			if r.Error == nil || r.Error.ID != tt.id || r.Status != tt.status || !strings.Contains(r.Error.Message, tt.message) {
				t.Fatalf("got %s, want %s (%d) with %q", r.raw, tt.id, tt.status, tt.message)
			}
		})
	}
}

func TestMQTTCallAsTheSameUser(t *testing.T) {
	s := startServer(t, wasmhost.Limits{}, map[string]string{"faults": buildC(t, "testdata/faults.c")})
	cl := connect(t, s.addr)
	if r := cl.call(t, `{"controller":"security","action":"createUser","_id":"guest-caller","body":{"content":{"profileIds":["default"]},"credentials":{"local":{"username":"gc","password":"a long password"}}}}`); r.Status != 200 {
		t.Fatalf("createUser: %s", r.raw)
	}
	login := cl.call(t, `{"controller":"auth","action":"login","strategy":"local","body":{"username":"gc","password":"a long password"}}`)
	var tok struct {
		JWT string `json:"jwt"`
	}
	if err := jsonx.Unmarshal(login.Result, &tok); err != nil || tok.JWT == "" {
		t.Fatalf("login: %s", login.raw)
	}
	r := cl.call(t, `{"controller":"faults/faults","action":"call","jwt":"`+tok.JWT+`","body":{"controller":"realtime","action":"publish","index":"i","collection":"c","body":{"x":1}}}`)
	if r.Status != 200 || !strings.Contains(string(r.Result), `"result":{"published":true}`) {
		t.Fatalf("call: %s", r.raw)
	}
	select {
	case p := <-s.published:
		if p.body != `{"x":1}` || p.jwt != tok.JWT || p.conn.Protocol != "mqtt" || p.conn.ID == "" {
			t.Fatalf("published %+v", p)
		}
	case <-time.After(wait):
		t.Fatal("nothing published")
	}
}

func TestMQTTReload(t *testing.T) {
	s := startServer(t, wasmhost.Limits{}, map[string]string{"mod": buildC(t, "testdata/faults.c")})
	cl := connect(t, s.addr)
	aside := map[string]response{}
	if r := cl.call(t, `{"controller":"mod/faults","action":"empty"}`); r.Status != 200 {
		t.Fatalf("before reload: %s", r.raw)
	}
	slow := cl.send(t, `{"controller":"mod/faults","action":"slow"}`)
	install(t, s.dir, "mod", buildAS(t, "testdata/as/empty.ts"))
	expectRegistered(t, s, "mod/bench")
	if r := cl.await(t, cl.send(t, `{"controller":"mod/bench","action":"empty"}`), aside); r.Status != 200 || string(r.Result) != "null" {
		t.Fatalf("after reload: %s", r.raw)
	}
	if r := cl.await(t, slow, aside); r.Status != 200 || string(r.Result) != `"slow done"` {
		t.Fatalf("the call in flight must finish on the old version: %s", r.raw)
	}
	if r := cl.call(t, `{"controller":"mod/faults","action":"empty"}`); r.Error == nil || r.Error.ID != "api.process.controller_not_found" {
		t.Fatalf("the old controller must be gone: %s", r.raw)
	}
}

// TestMQTTWasmControllerRights: a role names a Wasm controller's actions as
// "module/controller"; the guard applies it like any other.
func TestMQTTWasmControllerRights(t *testing.T) {
	s := startServer(t, wasmhost.Limits{}, map[string]string{"faults": buildC(t, "testdata/faults.c")})
	cl := connect(t, s.addr)
	for _, setup := range []string{
		`{"controller":"security","action":"createRole","_id":"faulty","body":{"controllers":{"faults/faults":{"actions":{"empty":true}},"auth":{"actions":{"login":true}}}}}`,
		`{"controller":"security","action":"createProfile","_id":"faulty","body":{"policies":[{"roleId":"faulty"}]}}`,
		`{"controller":"security","action":"createUser","_id":"fay","body":{"content":{"profileIds":["faulty"]},"credentials":{"local":{"username":"fay","password":"fay's password"}}}}`,
		`{"controller":"security","action":"createOrReplaceRole","_id":"anonymous","body":{"controllers":{"auth":{"actions":{"login":true}}}}}`,
	} {
		if r := cl.call(t, setup); r.Status != 200 {
			t.Fatalf("%s: %s", setup, r.raw)
		}
	}
	login := cl.call(t, `{"controller":"auth","action":"login","strategy":"local","body":{"username":"fay","password":"fay's password"}}`)
	var tok struct {
		JWT string `json:"jwt"`
	}
	if err := jsonx.Unmarshal(login.Result, &tok); err != nil || tok.JWT == "" {
		t.Fatalf("login: %s", login.raw)
	}
	for _, c := range []struct {
		action, jwt string
		status      int
	}{
		{"empty", tok.JWT, 200},
		{"trap", tok.JWT, 403},
		{"empty", "", 401},
	} {
		payload := `{"controller":"faults/faults","action":"` + c.action + `"`
		if c.jwt != "" {
			payload += `,"jwt":"` + c.jwt + `"`
		}
		if r := cl.call(t, payload+"}"); r.Status != c.status {
			t.Errorf("faults/faults:%s with a token %v: %s, want status %d", c.action, c.jwt != "", r.raw, c.status)
		}
	}
}
