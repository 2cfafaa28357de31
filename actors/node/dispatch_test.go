package node_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/jsonx"
)

// gate is a test controller: test:slow blocks until release is closed (and
// reports it started), test:fast answers at once.
type gate struct {
	started chan string
	release chan struct{}
}

func newGate() *gate {
	return &gate{started: make(chan string, 100), release: make(chan struct{})}
}

func (g *gate) controller() api.Controller {
	return api.Controller{Name: "test", Actions: map[string]api.Action{
		"slow": func(ctx context.Context, req *api.Request) (any, error) {
			g.started <- req.ID
			select {
			case <-g.release:
				return "slow done", nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		},
		"fast": func(context.Context, *api.Request) (any, error) { return "fast done", nil },
	}}
}

func (g *gate) awaitStarted(t *testing.T, id string) {
	t.Helper()
	select {
	case got := <-g.started:
		if got != id {
			t.Fatalf("action started for %s, want %s", got, id)
		}
	case <-time.After(wait):
		t.Fatalf("action for %s never started", id)
	}
}

func publishRequest(t *testing.T, c client, payload string) {
	t.Helper()
	if err := c.publish("Kuzzle/request", []byte(payload), 0); err != nil {
		t.Fatal(err)
	}
}

func TestOutOfOrderAnswers(t *testing.T) {
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			g := newGate()
			srv := startServer(t, nil, g.controller())
			c := v.connect(t, srv.addr)
			publishRequest(t, c, `{"controller":"test","action":"slow","requestId":"slow"}`)
			g.awaitStarted(t, "slow")
			// The slow action holds up nobody: the fast one answers first.
			fast := request(t, c, `{"controller":"test","action":"fast","requestId":"fast"}`)
			if fast.RequestID != "fast" || string(fast.Result) != `"fast done"` {
				t.Fatalf("unexpected first answer %s", fast.raw)
			}
			close(g.release)
			slow := nextResponse(t, c, "Kuzzle/response")
			if slow.RequestID != "slow" || string(slow.Result) != `"slow done"` {
				t.Fatalf("unexpected second answer %s", slow.raw)
			}
		})
	}
}

func TestOverloaded(t *testing.T) {
	g := newGate()
	srv := startServer(t, func(c *config.Config) {
		c.Limits.ConcurrentRequests = 1
		c.Limits.RequestsBufferSize = 2
		c.Limits.RequestsBufferWarningThreshold = 2
	}, g.controller())
	c := connect5(t, srv.addr)
	publishRequest(t, c, `{"controller":"test","action":"slow","requestId":"running"}`)
	g.awaitStarted(t, "running")
	publishRequest(t, c, `{"controller":"test","action":"slow","requestId":"queued-1"}`)
	publishRequest(t, c, `{"controller":"test","action":"slow","requestId":"queued-2"}`)
	// Requests are dispatched in order: the fourth finds the queue full.
	r := request(t, c, `{"controller":"test","action":"fast","requestId":"refused"}`)
	if r.RequestID != "refused" || r.Error == nil || r.Error.ID != "api.process.overloaded" || r.Status != 503 {
		t.Fatalf("want api.process.overloaded, got %s", r.raw)
	}
	close(g.release)
	seen := map[string]bool{}
	for range 3 {
		r := nextResponse(t, c, "Kuzzle/response")
		if r.Status != 200 {
			t.Fatalf("queued request failed: %s", r.raw)
		}
		seen[r.RequestID] = true
	}
	if !seen["running"] || !seen["queued-1"] || !seen["queued-2"] {
		t.Fatalf("missing answers: %v", seen)
	}
}

// mqttConnections asks server:metrics how many MQTT connections are alive.
func mqttConnections(t *testing.T, c client) int {
	t.Helper()
	r := request(t, c, `{"controller":"server","action":"metrics"}`)
	var m struct {
		Network struct{ Connections map[string]int }
	}
	if err := jsonx.Unmarshal(r.Result, &m); err != nil {
		t.Fatalf("metrics: %v: %s", err, r.raw)
	}
	return m.Network.Connections["mqtt"]
}

func TestDisconnectDelay(t *testing.T) {
	for _, delay := range []time.Duration{0, 300 * time.Millisecond} {
		t.Run(strconv.Itoa(int(delay.Milliseconds()))+"ms", func(t *testing.T) {
			srv := startServer(t, func(c *config.Config) { c.Server.MQTT.DisconnectDelay = delay })
			observer := connect3(t, srv.addr)
			leaver := connect5(t, srv.addr)
			// A session opens just after its CONNACK: wait until both count.
			for deadline := time.Now().Add(wait); mqttConnections(t, observer) != 2; {
				if time.Now().After(deadline) {
					t.Fatal("the two connections were never both counted")
				}
			}
			// The server may see the DISCONNECT before close returns: the
			// delay is measured from before it.
			disconnected := time.Now()
			leaver.close()
			// Each metrics round trip paces the wait for the removal.
			deadline := time.Now().Add(wait)
			for mqttConnections(t, observer) == 2 {
				if time.Now().After(deadline) {
					t.Fatal("the connection was never removed")
				}
			}
			if gone := time.Since(disconnected); gone < delay {
				t.Fatalf("connection removed after %s, before the %s delay", gone, delay)
			}
		})
	}
}

func TestShutdownAnswersInFlight(t *testing.T) {
	g := newGate()
	srv := startServer(t, nil, g.controller())
	c := connect3(t, srv.addr)
	publishRequest(t, c, `{"controller":"test","action":"slow","requestId":"in-flight"}`)
	g.awaitStarted(t, "in-flight")

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		done <- srv.node.Shutdown(ctx)
	}()
	// Until the slow action ends, the server refuses new requests.
	deadline := time.Now().Add(wait)
	for {
		r := request(t, c, `{"controller":"server","action":"now","requestId":"late"}`)
		if r.Error != nil && r.Error.ID == "network.entrypoint.shutting_down" && r.Status == 503 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("requests are still served during shutdown: %s", r.raw)
		}
	}
	close(g.release)
	if r := nextResponse(t, c, "Kuzzle/response"); r.RequestID != "in-flight" || r.Status != 200 {
		t.Fatalf("the request in flight was not answered: %s", r.raw)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(wait):
		t.Fatal("shutdown did not end")
	}
	expectLost(t, c)
}

func TestRegisterControllerAndCall(t *testing.T) {
	srv := startServer(t, nil)
	c := connect5(t, srv.addr)
	if r := request(t, c, `{"controller":"plugin/echo","action":"say"}`); r.Error == nil || r.Error.ID != "api.process.controller_not_found" {
		t.Fatalf("want controller_not_found before registration: %s", r.raw)
	}
	srv.node.RegisterController(api.Controller{Name: "plugin/echo", Actions: map[string]api.Action{
		"say": func(_ context.Context, req *api.Request) (any, error) { return req.Connection.ID, nil },
	}})
	r := request(t, c, `{"controller":"plugin/echo","action":"say","requestId":"e"}`)
	if r.Status != 200 || r.RequestID != "e" {
		t.Fatalf("registered controller not called: %s", r.raw)
	}
	public := request(t, c, `{"controller":"server","action":"publicApi"}`)
	var routes map[string]map[string]any
	if err := jsonx.Unmarshal(public.Result, &routes); err != nil || routes["plugin/echo"]["say"] == nil {
		t.Fatalf("publicApi does not list the new controller: %s", public.raw)
	}

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	out, err := srv.node.Call(ctx, []byte(`{"controller":"plugin/echo","action":"say","requestId":"inner"}`), internalConn("guest"))
	if err != nil {
		t.Fatal(err)
	}
	var inner response
	if err := jsonx.Unmarshal(out, &inner); err != nil || inner.RequestID != "inner" || string(inner.Result) != `"guest"` {
		t.Fatalf("unexpected Call answer %s", out)
	}

	srv.node.UnregisterController("plugin/echo")
	if r := request(t, c, `{"controller":"plugin/echo","action":"say"}`); r.Error == nil || r.Error.ID != "api.process.controller_not_found" {
		t.Fatalf("want controller_not_found after removal: %s", r.raw)
	}
}

func internalConn(id string) api.Connection { return api.Connection{ID: id, Protocol: "internal"} }
