package wasmhost_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/wasmhost"
)

// hookCall is what pipes.c's hook publishes: its tag, the event and the
// input it was given.
type hookCall struct {
	Hook  string `json:"hook"`
	Event string `json:"event"`
	Input struct {
		Event   string `json:"event"`
		Request struct {
			Controller string `json:"controller"`
			Action     string `json:"action"`
			RequestID  string `json:"requestId"`
		} `json:"request"`
		Result jsonx.RawMessage `json:"result"`
		Error  *struct {
			ID string `json:"id"`
		} `json:"error"`
	} `json:"input"`
}

// hookCalls collects the hooks' publishes until every wanted event of
// requestId came (or the wait ends).
func hookCalls(t *testing.T, s *pipeServer, requestID string, events ...string) map[string]hookCall {
	t.Helper()
	got := map[string]hookCall{}
	deadline := time.After(wait)
	for len(got) < len(events) {
		select {
		case p := <-s.published:
			var c hookCall
			if err := jsonx.Unmarshal([]byte(p.body), &c); err != nil {
				t.Fatalf("published %s: %v", p.body, err)
			}
			if c.Input.Request.RequestID == requestID {
				got[c.Event] = c
			}
		case <-deadline:
			t.Fatalf("hooks of %s: got %v, want %v", requestID, keys(got), events)
		}
	}
	for _, ev := range events {
		if _, ok := got[ev]; !ok {
			t.Fatalf("hooks of %s: got %v, want %v", requestID, keys(got), events)
		}
	}
	return got
}

func keys(m map[string]hookCall) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestHooksFire(t *testing.T) {
	s := startPipeServer(t, map[string]string{
		"hooked": buildPipes(t, `{"hooks":["request:onExecution","document:beforeCreate","document:afterCreate","request:onSuccess","document:errorGet","request:onError"]}`, "h"),
	}, nil)
	cl := connect(t, s.addr)
	collection(t, cl)
	id := cl.send(t, `{"controller":"document","action":"create","index":"i","collection":"c","_id":"d1","body":{"x":1}}`)
	if r := cl.await(t, id, map[string]response{}); r.Status != 200 {
		t.Fatalf("create: %s", r.raw)
	}
	got := hookCalls(t, s, id, "request:onExecution", "document:beforeCreate", "document:afterCreate", "request:onSuccess")
	after := got["document:afterCreate"]
	if after.Hook != "h" || after.Input.Event != "document:afterCreate" || after.Input.Request.Controller != "document" ||
		after.Input.Request.Action != "create" || !strings.Contains(string(after.Input.Result), `"_id":"d1"`) {
		t.Fatalf("afterCreate hook: %+v", after)
	}
	id = cl.send(t, `{"controller":"document","action":"get","index":"i","collection":"c","_id":"nope"}`)
	if r := cl.await(t, id, map[string]response{}); r.Status != 404 {
		t.Fatalf("get: %s", r.raw)
	}
	got = hookCalls(t, s, id, "request:onExecution", "document:errorGet", "request:onError")
	if e := got["request:onError"].Input.Error; e == nil || e.ID != "services.storage.not_found" {
		t.Fatalf("onError hook: %+v", got["request:onError"])
	}
}

// TestHooksFaultsDoNotTouchRequests: a hook that traps or loops does not
// fail its request, and later hooks still run (four faults in a row: a
// fifth would quarantine the module, whose hooks are then skipped). That
// hooks never hold a request is TestHookQueueDrops'.
func TestHooksFaultsDoNotTouchRequests(t *testing.T) {
	s := startPipeServer(t, map[string]string{
		"hooked": buildPipes(t, `{"hooks":["server:afterNow"]}`, "h"),
	}, func(c *config.Config) { c.Wasm.Limits.CallTimeout = 300 * time.Millisecond })
	cl := connect(t, s.addr)
	for _, hook := range []string{"trap", "loop"} {
		for range 2 {
			if r := cl.call(t, `{"controller":"server","action":"now","volatile":{"hook":"`+hook+`"}}`); r.Status != 200 {
				t.Fatalf("%s: %s", hook, r.raw)
			}
		}
	}
	id := cl.send(t, `{"controller":"server","action":"now"}`)
	if r := cl.await(t, id, map[string]response{}); r.Status != 200 {
		t.Fatalf("now: %s", r.raw)
	}
	hookCalls(t, s, id, "server:afterNow")
}

// TestHookQueueDrops: events past the hook queue are dropped and counted,
// never waited for: the hooks loop for a minute, which queueing would wait
// for (the test's own timeout) if it ever did; Close stops them.
func TestHookQueueDrops(t *testing.T) {
	h, err := wasmhost.New(context.Background(), wasmhost.Options{
		Config:  wasmhost.Config{CacheDir: filepath.Join(buildDir, "cache"), Limits: wasmhost.Limits{CallTimeout: time.Minute}},
		Logger:  testLogger(t),
		Actions: fakeAPI{"server": {"now"}},
		Events:  wasmhost.EventsConfig{HookQueue: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	load(t, h, "hooked", buildPipes(t, `{"hooks":["server:afterNow"]}`, "h"))
	plan := h.Events("server", "now")
	if plan == nil {
		t.Fatal("no plan for server:now")
	}
	req := request(t, `{"controller":"server","action":"now","volatile":{"hook":"loop"}}`)
	for range 10 {
		plan.Hook(api.StageAfter, req, 1, nil)
	}
	// At most four run (one per hook worker) and one waits.
	if drops := h.HookDrops(); drops < 5 {
		t.Fatalf("%d events dropped, want at least 5", drops)
	}
	if h.Events("server", "getConfig") != nil {
		t.Fatal("server:getConfig has no listener")
	}
}

// TestHookAfterLoginAtConnect: a login made with MQTT CONNECT credentials
// fires auth:afterLogin hooks, whose calls run as the user logged in, as
// an auth:login request does.
func TestHookAfterLoginAtConnect(t *testing.T) {
	s := startPipeServer(t, map[string]string{"hooked": buildPipes(t, `{"hooks":["auth:afterLogin"]}`, "h")}, nil)
	cl := connect(t, s.addr)
	if r := cl.call(t, `{"controller":"security","action":"createUser","_id":"hooky","body":{"content":{"profileIds":["default"]},"credentials":{"local":{"username":"hooky","password":"a long password"}}}}`); r.Status != 200 {
		t.Fatalf("createUser: %s", r.raw)
	}
	opts := paho.NewClientOptions().AddBroker("tcp://" + s.addr).SetClientID("hooky-client").
		SetUsername("hooky").SetPassword("a long password").SetAutoReconnect(false)
	c := paho.NewClient(opts)
	if tok := c.Connect(); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	p := nextPublished(t, s)
	var got hookCall
	if err := jsonx.Unmarshal([]byte(p.body), &got); err != nil || got.Event != "auth:afterLogin" || string(got.Input.Result) != `{"_id":"hooky"}` {
		t.Fatalf("published %s", p.body)
	}
	if p.jwt == "" {
		t.Fatal("the hook's call must run as the user logged in")
	}
	// An auth:login request fires it too.
	id := cl.send(t, `{"controller":"auth","action":"login","strategy":"local","body":{"username":"hooky","password":"a long password"}}`)
	if r := cl.await(t, id, map[string]response{}); r.Status != 200 {
		t.Fatalf("login: %s", r.raw)
	}
	hookCalls(t, s, id, "auth:afterLogin")
}
