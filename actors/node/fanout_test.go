package node_test

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/mqtt"
)

// rawClient speaks just enough MQTT 3.1.1 over a socket it reads only when
// told to, to play a client that stops reading.
type rawClient struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawClient {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.(*net.TCPConn).SetReadBuffer(4096)
	t.Cleanup(func() { conn.Close() })
	c := &rawClient{conn: conn, r: bufio.NewReader(conn)}
	id := "raw-slow"
	connect := []byte{0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60}
	connect = binary.BigEndian.AppendUint16(connect, uint16(len(id)))
	connect = append(append([]byte{0x10, byte(len(connect) + len(id))}, connect...), id...)
	c.write(t, connect)
	if typ, _ := c.read(t); typ != 0x20 {
		t.Fatalf("want CONNACK, got packet type %#x", typ)
	}
	return c
}

func (c *rawClient) write(t *testing.T, b []byte) {
	t.Helper()
	if _, err := c.conn.Write(b); err != nil {
		t.Fatal(err)
	}
}

// read returns the next packet's type and body.
func (c *rawClient) read(t *testing.T) (byte, []byte) {
	t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(wait))
	header, err := c.r.ReadByte()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	length, err := binary.ReadUvarint(c.r) // MQTT's remaining length is the same varint
	if err != nil {
		t.Fatal(err)
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(c.r, body); err != nil {
		t.Fatal(err)
	}
	return header & 0xf0, body
}

// request publishes a request and returns the response payload.
func (c *rawClient) request(t *testing.T, payload string) []byte {
	t.Helper()
	c.write(t, mqtt.EncodePublish("Kuzzle/request", []byte(payload), 4))
	typ, body := c.read(t)
	if typ != 0x30 {
		t.Fatalf("want PUBLISH, got %#x", typ)
	}
	topicLen := int(binary.BigEndian.Uint16(body))
	return body[2+topicLen:]
}

func (c *rawClient) subscribe(t *testing.T, topic string) {
	t.Helper()
	pk := []byte{0, 1}
	pk = binary.BigEndian.AppendUint16(pk, uint16(len(topic)))
	pk = append(append(pk, topic...), 0)
	c.write(t, append([]byte{0x82, byte(len(pk))}, pk...))
	if typ, body := c.read(t); typ != 0x90 || body[len(body)-1] >= 0x80 {
		t.Fatalf("SUBSCRIBE refused: %#x %v", typ, body)
	}
}

func TestSlowSubscriberIsDisconnected(t *testing.T) {
	srv := startServer(t, func(c *config.Config) {
		c.Server.MQTT.MaxPendingNotifications = 256
		c.Server.MQTT.DisconnectDelay = 0
	})
	slow := dialRaw(t, srv.addr)
	var s sub
	if err := jsonx.Unmarshal(getResult(t, slow.request(t, `{"controller":"realtime","action":"subscribe","index":"i","collection":"c","body":{}}`)), &s); err != nil {
		t.Fatal(err)
	}
	slow.subscribe(t, s.Channel)
	// From here on the slow client reads nothing.

	fast, publisher := connect5(t, srv.addr), connect3(t, srv.addr)
	r := request(t, fast, `{"controller":"realtime","action":"join","body":{"roomId":"`+s.RoomID+`"}}`)
	if code := fast.subscribe(s.Channel); r.Status != 200 || code != 0 {
		t.Fatalf("join: %s (%#x)", r.raw, code)
	}
	received := 0
	drain := func() {
		for {
			select {
			case m := <-fast.received():
				if m.topic != s.Channel {
					t.Fatalf("unexpected message on %s", m.topic)
				}
				received++
			default:
				return
			}
		}
	}
	sent := 0
	for sent < 100_000 && mqttConnections(t, publisher) == 3 {
		for range 200 {
			publish(t, publisher, `{"n":`+strconv.Itoa(sent)+`}`, "")
			sent++
		}
		drain()
	}
	if n := mqttConnections(t, publisher); n != 2 {
		t.Fatalf("the slow client was not disconnected after %d notifications", sent)
	}
	select {
	case <-fast.lost():
		t.Fatal("the fast subscriber was disconnected instead of the slow one")
	default:
	}
	// The fast subscriber lost nothing.
	deadline := time.After(wait)
	for received < sent {
		select {
		case m := <-fast.received():
			if m.topic == s.Channel {
				received++
			}
		case <-deadline:
			t.Fatalf("fast subscriber got %d of %d notifications", received, sent)
		}
	}
}

// getResult extracts a raw response's result.
func getResult(t *testing.T, payload []byte) []byte {
	t.Helper()
	var r response
	if err := jsonx.Unmarshal(payload, &r); err != nil || r.Status != 200 {
		t.Fatalf("request failed: %s", payload)
	}
	return r.Result
}

func TestRealtimeDisconnectDelay(t *testing.T) {
	const delay = 300 * time.Millisecond
	srv := startServer(t, func(c *config.Config) { c.Server.MQTT.DisconnectDelay = delay })
	watcher, leaver := connect3(t, srv.addr), connect5(t, srv.addr)
	s := subscribe(t, watcher, `{"equals":{"k":"delay"}}`, `,"users":"all"`)
	subscribe(t, leaver, `{"equals":{"k":"delay"}}`, `,"scope":"in"`)
	if n := nextNotification(t, watcher, s.Channel); n.User != "in" || n.Result.Count != 2 {
		t.Fatalf("unexpected notification %s", n.raw)
	}
	leaver.close()
	left := time.Now()
	// A client reconnecting within the delay is a new client.
	back := connect5(t, srv.addr)
	if r := request(t, back, `{"controller":"realtime","action":"unsubscribe","body":{"roomId":"`+s.RoomID+`"}}`); r.Error == nil || r.Error.ID != "core.realtime.not_subscribed" {
		t.Fatalf("a reconnected client has none of the old subscriptions: %s", r.raw)
	}
	n := nextNotification(t, watcher, s.Channel)
	if n.User != "out" || n.Result.Count != 1 || n.Protocol != "mqtt" || n.Timestamp < left.UnixMilli() {
		t.Fatalf("unexpected notification %s", n.raw)
	}
	if gone := time.Since(left); gone < delay {
		t.Fatalf("the room saw the client leave after %s, before the %s delay", gone, delay)
	}
	if r := request(t, watcher, `{"controller":"realtime","action":"count","body":{"roomId":"`+s.RoomID+`"}}`); string(r.Result) != `{"count":1}` {
		t.Fatalf("count after the delay: %s", r.raw)
	}
}

func TestFanOutToManySubscribers(t *testing.T) {
	srv := startServer(t, nil)
	const clients = 20
	var subs []client
	var s sub
	for i := range clients {
		c := versions[i%2].connect(t, srv.addr)
		s = subscribe(t, c, `{"range":{"n":{"gte":10}}}`, "")
		subs = append(subs, c)
	}
	publisher := connect3(t, srv.addr)
	for i := range 20 {
		publish(t, publisher, `{"n":`+strconv.Itoa(i)+`}`, "")
	}
	for _, c := range subs {
		for want := 10; want < 20; want++ {
			n := nextNotification(t, c, s.Channel)
			if got := int(n.Result.Source["n"].(float64)); got != want {
				t.Fatalf("notification %d arrived out of order or not at all (got %d)", want, got)
			}
		}
		roundTrip(t, c)
	}
}
