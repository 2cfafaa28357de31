package node_test

import (
	"testing"

	"github.com/starlingmq/starling/internal/config"
)

// roundTrip makes one request and checks it succeeds; used as a barrier
// before asserting that nothing else arrived.
func roundTrip(t *testing.T, c client) {
	t.Helper()
	if r := request(t, c, `{"controller":"server","action":"now","requestId":"barrier"}`); r.Status != 200 || r.RequestID != "barrier" {
		t.Fatalf("round trip failed: %s", r.raw)
	}
}

func TestResponsesArePrivate(t *testing.T) {
	srv := startServer(t, nil)
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			asker, spy := v.connect(t, srv.addr), v.connect(t, srv.addr)
			for _, c := range []client{asker, spy} {
				if code := c.subscribe("Kuzzle/response"); code != 0 {
					t.Fatalf("subscribe: %#x", code)
				}
			}
			if r := request(t, asker, `{"controller":"server","action":"now","requestId":"mine"}`); r.RequestID != "mine" {
				t.Fatalf("unexpected response %s", r.raw)
			}
			roundTrip(t, spy) // fails if the asker's response reached the spy first
		})
	}
}

func TestDevelopmentMode(t *testing.T) {
	tests := []struct {
		name             string
		nodeEnv, devMode bool
		broadcast        bool
	}{
		{"both set", true, true, true},
		{"developmentMode only", false, true, false},
		{"NODE_ENV only", true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, func(c *config.Config) {
				c.DevelopmentEnv = tt.nodeEnv
				c.Server.MQTT.DevelopmentMode = tt.devMode
			})
			asker, spy := connect3(t, srv.addr), connect5(t, srv.addr)
			for _, c := range []client{asker, spy} {
				if code := c.subscribe("Kuzzle/response"); code != 0 {
					t.Fatalf("subscribe: %#x", code)
				}
			}
			request(t, asker, `{"controller":"server","action":"now","requestId":"shared"}`)
			if !tt.broadcast {
				roundTrip(t, spy)
				return
			}
			if r := nextResponse(t, spy, "Kuzzle/response"); r.RequestID != "shared" {
				t.Fatalf("the spy should see the asker's response: %s", r.raw)
			}
		})
	}
}

func TestForbiddenPublishWithoutPubSub(t *testing.T) {
	srv := startServer(t, nil)
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			listener, publisher := v.connect(t, srv.addr), v.connect(t, srv.addr)
			if code := listener.subscribe("some/topic"); code != 0 {
				t.Fatalf("subscribe: %#x", code)
			}
			_ = publisher.publish("some/topic", []byte("forbidden"), 0)
			expectLost(t, publisher)
			roundTrip(t, listener) // the forbidden message would have come first
		})
	}
}

func TestPubSubAllowed(t *testing.T) {
	srv := startServer(t, func(c *config.Config) { c.Server.MQTT.AllowPubSub = true })
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			listener, publisher := v.connect(t, srv.addr), v.connect(t, srv.addr)
			if code := listener.subscribe("some/topic"); code != 0 {
				t.Fatalf("subscribe: %#x", code)
			}
			if err := publisher.publish("some/topic", []byte("hello"), 1); err != nil {
				t.Fatalf("publish: %v", err)
			}
			select {
			case m := <-listener.received():
				if m.topic != "some/topic" || string(m.payload) != "hello" {
					t.Fatalf("unexpected message %s: %s", m.topic, m.payload)
				}
			case <-listener.lost():
				t.Fatal("listener lost")
			}
			roundTrip(t, publisher)

			// The response topic stays read-only.
			_ = publisher.publish("Kuzzle/response", []byte(`{"forged":true}`), 0)
			expectLost(t, publisher)
			roundTrip(t, listener)
		})
	}
}

func TestWildcardPublishCloses(t *testing.T) {
	srv := startServer(t, func(c *config.Config) { c.Server.MQTT.AllowPubSub = true })
	c := connect3(t, srv.addr)
	_ = c.publish("some/#", []byte("x"), 0)
	expectLost(t, c)
}

func TestRefusedSubscriptions(t *testing.T) {
	srv := startServer(t, nil)
	for _, v := range versions {
		refused := byte(0x80)
		if v.name == "mqtt5" {
			refused = 0x87
		}
		t.Run(v.name, func(t *testing.T) {
			c := v.connect(t, srv.addr)
			for _, topic := range []string{"#", "Kuzzle/#", "+/response", "a/+/b", "Kuzzle/request", "$share/g/Kuzzle/request"} {
				if code := c.subscribe(topic); code != refused {
					t.Errorf("subscribe %q: code %#x, want %#x", topic, code, refused)
				}
			}
			roundTrip(t, c) // the connection stays open
		})
	}
}

func TestQoS1Request(t *testing.T) {
	srv := startServer(t, nil)
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			c := v.connect(t, srv.addr)
			if err := c.publish("Kuzzle/request", []byte(`{"controller":"server","action":"now","requestId":"q1"}`), 1); err != nil {
				t.Fatalf("a QoS 1 request must be acknowledged: %v", err)
			}
			if r := nextResponse(t, c, "Kuzzle/response"); r.RequestID != "q1" || r.Status != 200 {
				t.Fatalf("unexpected response %s", r.raw)
			}
		})
	}
}

func TestCustomTopics(t *testing.T) {
	srv := startServer(t, func(c *config.Config) {
		c.Server.MQTT.RequestTopic = "app/in"
		c.Server.MQTT.ResponseTopic = "app/out"
	})
	c := connect5(t, srv.addr)
	if err := c.publish("app/in", []byte(`{"controller":"server","action":"now","requestId":"t"}`), 0); err != nil {
		t.Fatal(err)
	}
	if r := nextResponse(t, c, "app/out"); r.RequestID != "t" {
		t.Fatalf("unexpected response %s", r.raw)
	}
	if code := c.subscribe("app/in"); code != 0x87 {
		t.Fatalf("subscribing to the request topic: %#x", code)
	}
	_ = c.publish("Kuzzle/request", []byte(`{}`), 0) // an ordinary topic now
	expectLost(t, c)
}
