package node_test

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho5 "github.com/eclipse/paho.golang/paho"
	paho3 "github.com/eclipse/paho.mqtt.golang"

	"github.com/starlingmq/starling/internal/jsonx"
)

// wait bounds every wait of these tests: events normally arrive within
// milliseconds, the bound only turns a hang into a failure.
const wait = 10 * time.Second

// message is one PUBLISH a test client received.
type message struct {
	topic   string
	payload []byte
}

// client is an MQTT test client, version 3.1.1 or 5, recording everything it
// receives and whether its connection was lost.
type client interface {
	// subscribe subscribes with QoS 0 and returns the granted code.
	subscribe(topic string) byte
	// publish sends a QoS 0 (or QoS 1) message.
	publish(topic string, payload []byte, qos byte) error
	// received is the stream of received messages.
	received() <-chan message
	// lost is closed when the connection is lost or closed by the server.
	lost() <-chan struct{}
	// close disconnects cleanly.
	close()
}

var clientSeq atomic.Int64

func clientID(t *testing.T) string {
	return fmt.Sprintf("starling-test-%d", clientSeq.Add(1))
}

// base holds what both client versions share.
type base struct {
	msgs     chan message
	lostCh   chan struct{}
	lostOnce sync.Once
}

func newBase() base {
	return base{msgs: make(chan message, 4096), lostCh: make(chan struct{})}
}

func (b *base) received() <-chan message { return b.msgs }
func (b *base) lost() <-chan struct{}    { return b.lostCh }
func (b *base) markLost()                { b.lostOnce.Do(func() { close(b.lostCh) }) }

// v3 is a paho MQTT 3.1.1 client.
type v3 struct {
	base
	c paho3.Client
}

func connect3(t *testing.T, addr string) client {
	t.Helper()
	c := &v3{base: newBase()}
	opts := paho3.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(clientID(t)).
		SetProtocolVersion(4).SetAutoReconnect(false).SetConnectRetry(false).
		SetOrderMatters(true).
		SetDefaultPublishHandler(func(_ paho3.Client, m paho3.Message) {
			c.msgs <- message{m.Topic(), m.Payload()}
		}).
		SetConnectionLostHandler(func(paho3.Client, error) { c.markLost() })
	c.c = paho3.NewClient(opts)
	if tok := c.c.Connect(); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("MQTT 3.1.1 connect: %v", tok.Error())
	}
	t.Cleanup(c.close)
	return c
}

func (c *v3) subscribe(topic string) byte {
	tok := c.c.Subscribe(topic, 0, nil)
	if !tok.WaitTimeout(wait) {
		return 0xff
	}
	// One topic was asked; paho keys the result by the filter it routes on,
	// which drops a "$share/<group>/" prefix.
	for _, code := range tok.(*paho3.SubscribeToken).Result() {
		return code
	}
	return 0xff
}

func (c *v3) publish(topic string, payload []byte, qos byte) error {
	tok := c.c.Publish(topic, qos, false, payload)
	if !tok.WaitTimeout(wait) {
		return fmt.Errorf("publish on %s timed out", topic)
	}
	return tok.Error()
}

func (c *v3) close() {
	if c.c.IsConnected() {
		c.c.Disconnect(100)
	}
}

// v5 is a paho MQTT 5 client.
type v5 struct {
	base
	c *paho5.Client
}

func connect5(t *testing.T, addr string) client {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := &v5{base: newBase()}
	c.c = paho5.NewClient(paho5.ClientConfig{
		Conn: conn,
		OnPublishReceived: []func(paho5.PublishReceived) (bool, error){
			func(pr paho5.PublishReceived) (bool, error) {
				c.msgs <- message{pr.Packet.Topic, pr.Packet.Payload}
				return true, nil
			},
		},
		OnServerDisconnect: func(*paho5.Disconnect) { c.markLost() },
		OnClientError:      func(error) { c.markLost() },
	})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := c.c.Connect(ctx, &paho5.Connect{ClientID: clientID(t), KeepAlive: 30, CleanStart: true}); err != nil {
		t.Fatalf("MQTT 5 connect: %v", err)
	}
	t.Cleanup(c.close)
	return c
}

func (c *v5) subscribe(topic string) byte {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	sa, err := c.c.Subscribe(ctx, &paho5.Subscribe{Subscriptions: []paho5.SubscribeOptions{{Topic: topic}}})
	if sa == nil || len(sa.Reasons) == 0 {
		_ = err
		return 0xff
	}
	return sa.Reasons[0]
}

func (c *v5) publish(topic string, payload []byte, qos byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, err := c.c.Publish(ctx, &paho5.Publish{Topic: topic, QoS: qos, Payload: payload})
	return err
}

func (c *v5) close() {
	select {
	case <-c.lostCh:
	default:
		_ = c.c.Disconnect(&paho5.Disconnect{})
	}
}

// versions runs a test once per MQTT version.
var versions = []struct {
	name    string
	connect func(*testing.T, string) client
}{
	{"mqtt3.1.1", connect3},
	{"mqtt5", connect5},
}

// response is a decoded Kuzzle response.
type response struct {
	RequestID  string           `json:"requestId"`
	Status     int              `json:"status"`
	Controller *string          `json:"controller"`
	Action     *string          `json:"action"`
	Node       string           `json:"node"`
	Volatile   jsonx.RawMessage `json:"volatile"`
	Result     jsonx.RawMessage `json:"result"`
	Headers    map[string]any   `json:"headers"`
	Error      *struct {
		ID      string `json:"id"`
		Code    int    `json:"code"`
		Status  int    `json:"status"`
		Message string `json:"message"`
		Props   []any  `json:"props"`
	} `json:"error"`
	raw []byte
}

// nextResponse waits for the next message on topic and decodes it.
func nextResponse(t *testing.T, c client, topic string) response {
	t.Helper()
	select {
	case m := <-c.received():
		return decodeResponse(t, m, topic)
	case <-c.lost():
		// The server may close the connection right after its last answer
		// (at shutdown): the client library reports the loss and hands
		// over that answer on two goroutines, in either order.
		select {
		case m := <-c.received():
			return decodeResponse(t, m, topic)
		case <-time.After(time.Second):
			t.Fatal("connection lost while waiting for a response")
		}
	case <-time.After(wait):
		t.Fatalf("no response on %s within %s", topic, wait)
	}
	panic("unreachable")
}

// decodeResponse checks a message's topic and decodes it as a response.
func decodeResponse(t *testing.T, m message, topic string) response {
	t.Helper()
	if m.topic != topic {
		t.Fatalf("unexpected message on %s: %s", m.topic, m.payload)
	}
	var r response
	if err := jsonx.Unmarshal(m.payload, &r); err != nil {
		t.Fatalf("response is not JSON: %v: %s", err, m.payload)
	}
	r.raw = m.payload
	return r
}

// request publishes a request and waits for its response on the default
// topics; no other message may arrive in between.
func request(t *testing.T, c client, payload string) response {
	t.Helper()
	if err := c.publish("Kuzzle/request", []byte(payload), 0); err != nil {
		t.Fatalf("publish request: %v", err)
	}
	return nextResponse(t, c, "Kuzzle/response")
}

// expectLost waits for the server to close the client's connection.
func expectLost(t *testing.T, c client) {
	t.Helper()
	select {
	case <-c.lost():
	case <-time.After(wait):
		t.Fatal("the server did not close the connection")
	}
}

// expectNothingBefore checks that no message was received up to now; a
// round trip made right before is the barrier that makes this sound.
func expectNothingBefore(t *testing.T, c client) {
	t.Helper()
	select {
	case m := <-c.received():
		t.Fatalf("unexpected message on %s: %s", m.topic, m.payload)
	default:
	}
}

// timeout returns a channel closed after the tests' wait bound.
func timeout() <-chan time.Time { return time.After(wait) }
