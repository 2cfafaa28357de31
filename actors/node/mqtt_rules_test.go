package node_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	paho5 "github.com/eclipse/paho.golang/paho"

	"github.com/starlingmq/starling/internal/config"
)

// pubSub is the mutator of a server that allows plain publish/subscribe.
func pubSub(c *config.Config) { c.Server.MQTT.AllowPubSub = true }

// refusedCode is the CONNACK code of a refusal: v3 for MQTT 3.1.1, v5 else.
func refusedCode(version, v3, v5 byte) byte {
	if version == 5 {
		return v5
	}
	return v3
}

func TestWillOnForbiddenTopicRefused(t *testing.T) {
	open := startServer(t, pubSub)
	closed := startServer(t, nil)
	owner := connect3(t, open.addr)
	s := subscribe(t, owner, `{"equals":{"k":"will"}}`, "")
	tests := []struct {
		name  string
		srv   *testServer
		topic string
	}{
		{"response topic", open, "Kuzzle/response"},
		{"request topic", open, "Kuzzle/request"},
		{"live channel", open, s.Channel},
		{"$SYS topic", open, "$SYS/x"},
		{"plain topic without allowPubSub", closed, "plain/topic"},
		{"request topic without allowPubSub", closed, "Kuzzle/request"},
	}
	for _, v := range wireVersions {
		t.Run(v.name, func(t *testing.T) {
			for _, tt := range tests {
				w := dialWire(t, tt.srv.addr, v.version)
				ack := w.connect(connectOptions{will: &willOptions{topic: tt.topic, payload: "bye"}})
				if want := refusedCode(v.version, 0x05, 0x87); ack.code() != want {
					t.Fatalf("%s: CONNACK %#x, want %#x", tt.name, ack.code(), want)
				}
				if got := w.expectClosed(); len(got) > 0 {
					t.Fatalf("%s: packets after a refused CONNACK: %v", tt.name, got)
				}
			}
		})
	}
	roundTrip(t, owner) // no will reached the channel
}

func TestWillDelivery(t *testing.T) {
	srv := startServer(t, func(c *config.Config) {
		c.Server.MQTT.AllowPubSub = true
		c.Server.MQTT.DisconnectDelay = 0
	})
	for i, v := range wireVersions {
		t.Run(v.name, func(t *testing.T) {
			topic := "wills/" + v.name
			listener := versions[i].connect(t, srv.addr)
			if code := listener.subscribe(topic); code != 0 {
				t.Fatalf("subscribe: %#x", code)
			}

			// Dropped without DISCONNECT: the will goes out.
			w := dialWire(t, srv.addr, v.version)
			w.mustConnect(connectOptions{will: &willOptions{topic: topic, payload: "dropped"}})
			w.drop()
			expectMessage(t, listener, topic, "dropped")

			// A clean DISCONNECT discards the will. The leaver shares a room
			// with the listener, whose "out" notification comes once the
			// server is done with the leaver, will included.
			// A room of this subtest's own: the other subtest's listener
			// leaving its room must not notify this one.
			filter := `{"equals":{"k":"will-` + v.name + `"}}`
			s := subscribe(t, listener, filter, `,"users":"all"`)
			w = dialWire(t, srv.addr, v.version)
			w.mustConnect(connectOptions{will: &willOptions{topic: topic, payload: "graceful"}})
			if r := w.request(subscribeRequest(filter)); r.Status != 200 {
				t.Fatalf("subscribe: %s", r.raw)
			}
			if n := nextNotification(t, listener, s.Channel); n.User != "in" {
				t.Fatalf("unexpected notification %s", n.raw)
			}
			w.disconnect(0)
			if n := nextNotification(t, listener, s.Channel); n.User != "out" {
				t.Fatalf("unexpected notification %s", n.raw)
			}
			if err := listener.publish(topic, []byte("marker"), 1); err != nil {
				t.Fatal(err)
			}
			expectMessage(t, listener, topic, "marker")

			if v.version == 5 { // DISCONNECT 0x04: disconnect with will message
				w = dialWire(t, srv.addr, v.version)
				w.mustConnect(connectOptions{will: &willOptions{topic: topic, payload: "asked"}})
				w.disconnect(0x04)
				expectMessage(t, listener, topic, "asked")
			}
		})
	}
}

func TestRetainedWill(t *testing.T) {
	srv := startServer(t, pubSub)
	for i, v := range wireVersions {
		t.Run(v.name, func(t *testing.T) {
			topic := "wills/retained/" + v.name
			listener := versions[i].connect(t, srv.addr)
			if code := listener.subscribe(topic); code != 0 {
				t.Fatalf("subscribe: %#x", code)
			}
			w := dialWire(t, srv.addr, v.version)
			w.mustConnect(connectOptions{will: &willOptions{topic: topic, payload: "kept", retain: true}})
			w.drop()
			expectMessage(t, listener, topic, "kept") // published, hence retained

			late := versions[i].connect(t, srv.addr)
			if code := late.subscribe(topic); code != 0 {
				t.Fatalf("subscribe: %#x", code)
			}
			expectMessage(t, late, topic, "kept")
		})
	}
}

func TestRetainedBounds(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*config.Config)
		size   int // payload bytes
	}{
		{"count", func(c *config.Config) { c.Server.MQTT.MaxRetainedMessages = 3 }, 10},
		// Each message counts its topic (3 bytes) and payload: 3 of 40 bytes
		// pass 100.
		{"bytes", func(c *config.Config) { c.Server.MQTT.MaxRetainedBytes = 100 }, 37},
	}
	for _, tt := range tests {
		for _, v := range versions {
			t.Run(tt.name+"/"+v.name, func(t *testing.T) {
				srv := startServer(t, func(c *config.Config) { pubSub(c); tt.mutate(c) })
				topics := []string{"r/0", "r/1", "r/2", "r/3", "r/4"}
				payload := func(i int, tag string) string {
					return fmt.Sprintf("%s%d%s", tag, i, strings.Repeat("x", tt.size-len(tag)-1))
				}
				live, publisher := v.connect(t, srv.addr), v.connect(t, srv.addr)
				for _, topic := range topics {
					if code := live.subscribe(topic); code != 0 {
						t.Fatalf("subscribe: %#x", code)
					}
				}
				for i, topic := range topics {
					publishRetained(t, publisher, topic, payload(i, "a"))
				}
				for i, topic := range topics { // all delivered live
					expectMessage(t, live, topic, payload(i, "a"))
				}
				roundTrip(t, publisher) // still connected
				kept := map[string]string{"r/0": payload(0, "a"), "r/1": payload(1, "a")}
				if tt.name == "count" {
					kept["r/2"] = payload(2, "a")
				}
				expectRetained(t, v.connect(t, srv.addr), topics, kept)

				// An empty retained payload deletes r/0's message and makes
				// room for r/4's.
				publishRetained(t, publisher, "r/0", "")
				publishRetained(t, publisher, "r/4", payload(4, "b"))
				expectMessage(t, live, "r/0", "")
				expectMessage(t, live, "r/4", payload(4, "b"))
				delete(kept, "r/0")
				kept["r/4"] = payload(4, "b")
				expectRetained(t, v.connect(t, srv.addr), topics, kept)
			})
		}
	}
}

func TestConnectionLimit(t *testing.T) {
	for i, v := range wireVersions {
		t.Run(v.name, func(t *testing.T) {
			srv := startServer(t, func(c *config.Config) {
				c.Server.MQTT.MaxConnections = 2
				c.Server.MQTT.DisconnectDelay = 0
			})
			watcher := versions[i].connect(t, srv.addr)
			s := subscribe(t, watcher, `{"equals":{"k":"limit"}}`, `,"users":"all"`)
			leaver := dialWire(t, srv.addr, v.version)
			leaver.mustConnect(connectOptions{})
			if r := leaver.request(subscribeRequest(`{"equals":{"k":"limit"}}`)); r.Status != 200 {
				t.Fatalf("subscribe: %s", r.raw)
			}
			if n := nextNotification(t, watcher, s.Channel); n.User != "in" {
				t.Fatalf("unexpected notification %s", n.raw)
			}

			refused := refusedCode(v.version, 0x03, 0x97)
			third := dialWire(t, srv.addr, v.version)
			if ack := third.connect(connectOptions{}); ack.code() != refused {
				t.Fatalf("third client: CONNACK %#x, want %#x", ack.code(), refused)
			}
			if got := third.expectClosed(); len(got) > 0 {
				t.Fatalf("packets after a refused CONNACK: %v", got)
			}

			leaver.disconnect(0)
			// The room sees the leaver go once the server forgot it.
			if n := nextNotification(t, watcher, s.Channel); n.User != "out" {
				t.Fatalf("unexpected notification %s", n.raw)
			}
			next := dialWire(t, srv.addr, v.version)
			next.mustConnect(connectOptions{})
			if r := next.request(`{"controller":"server","action":"now"}`); r.Status != 200 {
				t.Fatalf("request: %s", r.raw)
			}
			again := dialWire(t, srv.addr, v.version)
			if ack := again.connect(connectOptions{}); ack.code() != refused {
				t.Fatalf("past the limit again: CONNACK %#x, want %#x", ack.code(), refused)
			}
			roundTrip(t, watcher)
		})
	}
}

func TestClientIDTakeover(t *testing.T) {
	for _, v := range wireVersions {
		t.Run(v.name, func(t *testing.T) {
			// At the connection limit, a takeover still gets in: it
			// replaces a client rather than adding one.
			srv := startServer(t, func(c *config.Config) { c.Server.MQTT.MaxConnections = 1 })
			id := clientID(t)
			old := dialWire(t, srv.addr, v.version)
			old.mustConnect(connectOptions{id: id})
			newer := dialWire(t, srv.addr, v.version)
			start := time.Now()
			newer.mustConnect(connectOptions{id: id})
			if took := time.Since(start); took > time.Second {
				t.Fatalf("CONNACK of the takeover after %s", took)
			}
			old.expectDisconnect(0x8e) // MQTT 5: session taken over
			if r := newer.request(`{"controller":"server","action":"now"}`); r.Status != 200 {
				t.Fatalf("request: %s", r.raw)
			}
		})
	}
}

func TestIdleTimeout(t *testing.T) {
	const idle = 300 * time.Millisecond
	srv := startServer(t, func(c *config.Config) { c.Server.MQTT.IdleTimeout = idle })

	t.Run("mqtt3.1.1", func(t *testing.T) {
		silent, pinger := dialWire(t, srv.addr, 4), dialWire(t, srv.addr, 4)
		closed := closedAfter(silent, connectOptions{})
		pinger.mustConnect(connectOptions{})
		ping(t, pinger, idle/3, 4*idle)
		if after := closeTime(t, closed); after < idle {
			t.Fatalf("silent client closed %s after CONNECT, before the %s idle timeout", after, idle)
		}
	})

	t.Run("mqtt5", func(t *testing.T) {
		silent, pinger := dialWire(t, srv.addr, 5), dialWire(t, srv.addr, 5)
		closed := closedAfter(silent, connectOptions{})
		ack := pinger.mustConnect(connectOptions{})
		v := pinger.props(ack)[propServerKeepAlive]
		if len(v) != 2 || v[0] != 0 || v[1] != 1 {
			t.Fatalf("want Server Keep Alive 1 s (the idle timeout, rounded up to a second), got %v", v)
		}
		// A client keeps to the Server Keep Alive it is given: silent up to
		// 1 s, of the one and a half times that the server must allow.
		ping(t, pinger, time.Second, 2500*time.Millisecond)
		if after := closeTime(t, closed); after < 1500*time.Millisecond {
			t.Fatalf("silent client closed %s after CONNECT, before one and a half times its Server Keep Alive", after)
		}
	})
}

// closedAfter connects w, then waits on its own goroutine for the server
// to close the socket, and sends how long after the CONNECT that was, or
// -1 if the socket was still open after wait.
func closedAfter(w *wire, o connectOptions) <-chan time.Duration {
	w.t.Helper()
	start := time.Now()
	w.mustConnect(o)
	done := make(chan time.Duration, 1)
	go func() {
		for {
			_, err := w.read()
			var ne net.Error
			switch {
			case errors.As(err, &ne) && ne.Timeout():
				done <- -1
				return
			case err != nil:
				done <- time.Since(start)
				return
			}
		}
	}()
	return done
}

// closeTime returns what closedAfter sent, failing if the socket was
// never closed.
func closeTime(t *testing.T, closed <-chan time.Duration) time.Duration {
	t.Helper()
	after := <-closed
	if after < 0 {
		t.Fatalf("the server did not close the silent connection within %s", wait)
	}
	return after
}

// ping sends PINGREQ every interval for a while; each must be answered.
func ping(t *testing.T, w *wire, interval, total time.Duration) {
	t.Helper()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for end := time.Now().Add(total); time.Now().Before(end); <-tick.C {
		w.send([]byte{pkPingreq, 0})
		if p := w.next(); p.kind != pkPingresp {
			t.Fatalf("want PINGRESP, got %#x", p.kind)
		}
	}
}

func TestPlainSubscriptionCap(t *testing.T) {
	srv := startServer(t, func(c *config.Config) {
		c.Server.MQTT.AllowPubSub = true
		c.Server.MQTT.MaxSubscriptions = 2
	})
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			refused := byte(0x80)
			if v.name == "mqtt5" {
				refused = 0x97 // quota exceeded
			}
			c := v.connect(t, srv.addr)
			for _, topic := range []string{"cap/1", "cap/2", "cap/1"} {
				if code := c.subscribe(topic); code != 0 {
					t.Fatalf("subscribe %s: %#x", topic, code)
				}
			}
			if code := c.subscribe("cap/3"); code != refused {
				t.Fatalf("a 3rd topic: code %#x, want %#x", code, refused)
			}
			subscribe(t, c, `{"equals":{"k":"cap"}}`, "") // channels are not plain topics
			roundTrip(t, c)
		})
	}
}

// expectMessage waits for the next message and checks it.
func expectMessage(t *testing.T, c client, topic, payload string) {
	t.Helper()
	m := nextMessage(t, c)
	if m.topic != topic || string(m.payload) != payload {
		t.Fatalf("got %q on %s, want %q on %s", m.payload, m.topic, payload, topic)
	}
}

// publishRetained publishes a retained message at QoS 1: once it returns,
// the server has handled it.
func publishRetained(t *testing.T, c client, topic, payload string) {
	t.Helper()
	switch c := c.(type) {
	case *v3:
		tok := c.c.Publish(topic, 1, true, []byte(payload))
		if !tok.WaitTimeout(wait) || tok.Error() != nil {
			t.Fatalf("publish on %s: %v", topic, tok.Error())
		}
	case *v5:
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if _, err := c.c.Publish(ctx, &paho5.Publish{Topic: topic, QoS: 1, Retain: true, Payload: []byte(payload)}); err != nil {
			t.Fatalf("publish on %s: %v", topic, err)
		}
	}
}

// expectRetained subscribes a new client to topics and checks that it
// gets exactly the retained messages in want (topic → payload).
func expectRetained(t *testing.T, c client, topics []string, want map[string]string) {
	t.Helper()
	for _, topic := range topics {
		if code := c.subscribe(topic); code != 0 {
			t.Fatalf("subscribe %s: %#x", topic, code)
		}
	}
	// Retained messages follow each SUBACK before the next packet is read:
	// a request's answer comes after them.
	if err := c.publish("Kuzzle/request", []byte(`{"controller":"server","action":"now"}`), 0); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for {
		m := nextMessage(t, c)
		if m.topic == "Kuzzle/response" {
			break
		}
		got[m.topic] = string(m.payload)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("retained messages %v, want %v", got, want)
	}
}

// TestTrickledPacketTimesOut: bytes of an unfinished packet do not count as
// activity, so a client cannot hold a half-sent packet (and the buffer it
// announces) open by sending it one byte at a time.
func TestTrickledPacketTimesOut(t *testing.T) {
	const idle = 300 * time.Millisecond
	srv := startServer(t, func(c *config.Config) { c.Server.MQTT.IdleTimeout = idle })
	w := dialWire(t, srv.addr, 4)
	closed := closedAfter(w, connectOptions{})
	w.send([]byte{0x30, 0xe8, 0x07}) // PUBLISH announcing 1,000 bytes
	tick := time.NewTicker(idle / 6)
	defer tick.Stop()
	for sent := 0; sent < 60; sent++ { // up to 3 s of trickling, ten times the timeout
		select {
		case after := <-closed:
			if after < 0 {
				t.Fatalf("the trickling client was never closed")
			}
			return
		case <-tick.C:
			_, _ = w.conn.Write([]byte{0})
		}
	}
	t.Fatalf("a client trickling a packet one byte every %s stayed connected past ten idle timeouts", idle/6)
}

// TestConnectTimeout: a socket that never sends its CONNECT is closed
// after connectTimeout.
func TestConnectTimeout(t *testing.T) {
	const timeout = 200 * time.Millisecond
	srv := startServer(t, func(c *config.Config) { c.Server.MQTT.ConnectTimeout = timeout })
	// Before the dial: the server's clock starts when it accepts, which
	// may come before Dial returns.
	start := time.Now()
	conn, err := net.Dial("tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Fatal("the server sent something to a client that never sent CONNECT")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("a socket without CONNECT was still open after %s", wait)
	}
	if after := time.Since(start); after < timeout {
		t.Fatalf("closed after %s, before the %s connect timeout", after, timeout)
	}
}
