package node_test

import (
	"context"
	"encoding/binary"
	"net"
	"strings"
	"testing"

	paho5 "github.com/eclipse/paho.golang/paho"

	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/jsonx"
)

func TestMaximumPacketSize(t *testing.T) {
	srv := startServer(t, nil)

	t.Run("answer too large", func(t *testing.T) {
		w := dialWire(t, srv.addr, 5)
		w.mustConnect(connectOptions{props: propUint32(propMaximumPacketSize, 600)})
		w.publish("Kuzzle/request", `{"controller":"server","action":"info","requestId":"big"}`, 0, 0, nil)
		p := w.next()
		if p.size > 600 {
			t.Fatalf("a %d-byte packet to a client announcing 600", p.size)
		}
		r := decodeAnswer(t, w, p, "Kuzzle/response")
		if r.RequestID != "big" || r.Status != 400 || r.Error == nil || r.Error.ID != "network.mqtt.unexpected_error" || r.Error.Status != 400 {
			t.Fatalf("want an error answer to the request, got %s", r.raw)
		}
		if r := w.request(`{"controller":"server","action":"now","requestId":"small"}`); r.Status != 200 || r.RequestID != "small" {
			t.Fatalf("an answer that fits: %s", r.raw)
		}
	})

	t.Run("nothing fits", func(t *testing.T) {
		w := dialWire(t, srv.addr, 5)
		w.mustConnect(connectOptions{props: propUint32(propMaximumPacketSize, 64)})
		w.publish("Kuzzle/request", `{"controller":"server","action":"now"}`, 0, 0, nil)
		w.expectDisconnect(0x95) // packet too large
	})

	t.Run("notification too large", func(t *testing.T) {
		w := dialWire(t, srv.addr, 5)
		w.mustConnect(connectOptions{props: propUint32(propMaximumPacketSize, 600)})
		r := w.request(subscribeRequest(`{"equals":{"k":"size"}}`))
		var s sub
		if err := jsonx.Unmarshal(r.Result, &s); err != nil || r.Status != 200 {
			t.Fatalf("subscribe: %s", r.raw)
		}
		if code := w.subscribe(s.Channel); code != 0 {
			t.Fatalf("subscribe to the channel: %#x", code)
		}
		publisher := connect3(t, srv.addr)
		publish(t, publisher, `{"k":"size","pad":"`+strings.Repeat("x", 1000)+`"}`, "")
		publish(t, publisher, `{"k":"size","n":"small"}`, "")
		p := w.next()
		if p.size > 600 {
			t.Fatalf("a %d-byte packet to a client announcing 600", p.size)
		}
		topic, payload := w.publishOf(p)
		var n notification
		if err := jsonx.Unmarshal(payload, &n); err != nil || topic != s.Channel || n.Result.Source["n"] != "small" {
			t.Fatalf("want the small notification on %s, got on %s: %s", s.Channel, topic, payload)
		}
		if r := w.request(`{"controller":"server","action":"now"}`); r.Status != 200 {
			t.Fatalf("still connected: %s", r.raw)
		}
	})
}

// decodeAnswer checks that p is a PUBLISH on topic and decodes its answer.
func decodeAnswer(t *testing.T, w *wire, p packet, topic string) response {
	t.Helper()
	got, payload := w.publishOf(p)
	if got != topic {
		t.Fatalf("answer on %s, want %s: %s", got, topic, payload)
	}
	var r response
	if err := jsonx.Unmarshal(payload, &r); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, payload)
	}
	r.raw = payload
	return r
}

// asker is a paho MQTT 5 client that keeps the whole PUBLISH packets it
// receives, properties included.
type asker struct {
	c    *paho5.Client
	pubs chan *paho5.Publish
	lost chan struct{}
}

func connectAsker(t *testing.T, addr string) *asker {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	a := &asker{pubs: make(chan *paho5.Publish, 64), lost: make(chan struct{})}
	a.c = paho5.NewClient(paho5.ClientConfig{
		Conn: conn,
		OnPublishReceived: []func(paho5.PublishReceived) (bool, error){
			func(pr paho5.PublishReceived) (bool, error) {
				a.pubs <- pr.Packet
				return true, nil
			},
		},
		OnServerDisconnect: func(*paho5.Disconnect) { close(a.lost) },
	})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := a.c.Connect(ctx, &paho5.Connect{ClientID: clientID(t), KeepAlive: 30, CleanStart: true}); err != nil {
		t.Fatalf("MQTT 5 connect: %v", err)
	}
	t.Cleanup(func() { _ = a.c.Disconnect(&paho5.Disconnect{}) })
	return a
}

// ask publishes a request with a Response Topic and Correlation Data
// (either may be empty) and returns the next PUBLISH received.
func (a *asker) ask(t *testing.T, payload, responseTopic, correlation string) *paho5.Publish {
	t.Helper()
	props := &paho5.PublishProperties{ResponseTopic: responseTopic}
	if correlation != "" {
		props.CorrelationData = []byte(correlation)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := a.c.Publish(ctx, &paho5.Publish{Topic: "Kuzzle/request", Payload: []byte(payload), Properties: props}); err != nil {
		t.Fatalf("publish: %v", err)
	}
	select {
	case p := <-a.pubs:
		return p
	case <-a.lost:
		t.Fatal("disconnected by the server")
	case <-timeout():
		t.Fatal("no answer")
	}
	return nil
}

// answerOf decodes an answer; it must be on topic with the correlation
// data.
func answerOf(t *testing.T, p *paho5.Publish, topic, correlation string) response {
	t.Helper()
	var got string
	if p.Properties != nil {
		got = string(p.Properties.CorrelationData)
	}
	if p.Topic != topic || got != correlation {
		t.Fatalf("answer on %s with correlation %q, want %s with %q: %s", p.Topic, got, topic, correlation, p.Payload)
	}
	var r response
	if err := jsonx.Unmarshal(p.Payload, &r); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, p.Payload)
	}
	r.raw = p.Payload
	return r
}

func TestResponseTopic(t *testing.T) {
	srv := startServer(t, pubSub)
	a := connectAsker(t, srv.addr)
	spy5, spy3 := connect5(t, srv.addr), connect3(t, srv.addr)
	for _, spy := range []client{spy5, spy3} {
		if code := spy.subscribe("my/answers"); code != 0 {
			t.Fatalf("subscribe: %#x", code)
		}
	}
	owner := connect3(t, srv.addr)
	s := subscribe(t, owner, `{"equals":{"k":"rt"}}`, "")

	p := a.ask(t, `{"controller":"server","action":"now","requestId":"rt-1"}`, "my/answers", "c-1")
	if r := answerOf(t, p, "my/answers", "c-1"); r.RequestID != "rt-1" || r.Status != 200 {
		t.Fatalf("unexpected answer %s", r.raw)
	}
	p = a.ask(t, `{"controller":"server","action":"now","requestId":"rt-2"}`, "", "c-2")
	if r := answerOf(t, p, "Kuzzle/response", "c-2"); r.RequestID != "rt-2" || r.Status != 200 {
		t.Fatalf("unexpected answer %s", r.raw)
	}
	for _, topic := range []string{"Kuzzle/request", s.Channel, "$SYS/x", "my/#"} {
		p = a.ask(t, `{"controller":"server","action":"now","requestId":"rt-3"}`, topic, "c-3")
		r := answerOf(t, p, "Kuzzle/response", "c-3")
		if r.RequestID != "rt-3" || r.Status != 400 || r.Error == nil || r.Error.ID != "network.mqtt.unexpected_error" {
			t.Fatalf("Response Topic %s: want an error answer, got %s", topic, r.raw)
		}
	}
	// The answers were private; MQTT 3.1.1 clients are answered as ever.
	roundTrip(t, spy5)
	roundTrip(t, spy3)
	roundTrip(t, owner)
	p = a.ask(t, `{"controller":"server","action":"now","requestId":"rt-4"}`, "", "")
	if r := answerOf(t, p, "Kuzzle/response", ""); r.RequestID != "rt-4" {
		t.Fatalf("unexpected answer %s", r.raw)
	}
}

func TestReceiveMaximum(t *testing.T) {
	srv := startServer(t, func(c *config.Config) { c.Server.MQTT.ReceiveMaximum = 2 })
	w := dialWire(t, srv.addr, 5)
	ack := w.mustConnect(connectOptions{})
	if v := w.props(ack)[propReceiveMaximum]; len(v) != 2 || binary.BigEndian.Uint16(v) != 2 {
		t.Fatalf("CONNACK Receive Maximum %v, want 2", v)
	}
	const req = `{"controller":"server","action":"now"}`
	acknowledged := func(kind byte, id uint16) {
		t.Helper()
		if p := w.nextOf(kind); binary.BigEndian.Uint16(p.body) != id {
			t.Fatalf("packet %#x for id %d, want %d", kind, binary.BigEndian.Uint16(p.body), id)
		}
	}
	w.publish("Kuzzle/request", req, 2, 1, nil)
	acknowledged(pkPubrec, 1)
	w.publish("Kuzzle/request", req, 2, 2, nil)
	acknowledged(pkPubrec, 2)
	w.send([]byte{pkPubrel | 0x02, 2, 0, 1}) // release 1: room for one more
	acknowledged(pkPubcomp, 1)
	w.publish("Kuzzle/request", req, 2, 3, nil)
	acknowledged(pkPubrec, 3)
	w.publish("Kuzzle/request", req, 2, 4, nil) // a third unreleased
	var got []packet
	for _, p := range w.expectClosed() {
		if p.kind != pkPublish { // answers to the requests
			got = append(got, p)
		}
	}
	if len(got) != 1 || got[0].kind != pkDisconnect || got[0].code() != 0x93 {
		t.Fatalf("want DISCONNECT 0x93 (receive maximum exceeded), got %v", got)
	}
}
