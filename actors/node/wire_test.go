package node_test

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/jsonx"
)

// wire is a hand-driven MQTT client of either version: the test writes
// every packet, well formed or not, and reads every packet the server
// sends, with its properties. It plays what paho cannot: wills, MQTT 5
// CONNECT properties, malformed and unfinished packets, a client that
// vanishes without DISCONNECT.
type wire struct {
	t       *testing.T
	conn    net.Conn
	r       *bufio.Reader
	version byte // 4 (MQTT 3.1.1) or 5
}

// MQTT packet types, as the high nibble of the first byte.
const (
	pkConnect    = 0x10
	pkConnack    = 0x20
	pkPublish    = 0x30
	pkPubrec     = 0x50
	pkPubrel     = 0x60
	pkPubcomp    = 0x70
	pkSubscribe  = 0x80
	pkSuback     = 0x90
	pkPingreq    = 0xc0
	pkPingresp   = 0xd0
	pkDisconnect = 0xe0
)

// MQTT 5 property identifiers the tests use.
const (
	propServerKeepAlive   = 0x13
	propReceiveMaximum    = 0x21
	propMaximumPacketSize = 0x27
)

// wireVersions runs a test once per protocol version of the wire client.
var wireVersions = []struct {
	name    string
	version byte
}{
	{"mqtt3.1.1", 4},
	{"mqtt5", 5},
}

// dialWire opens a socket to the server; nothing is sent yet.
func dialWire(t *testing.T, addr string, version byte) *wire {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &wire{t: t, conn: conn, r: bufio.NewReader(conn), version: version}
}

// connectOptions describe a CONNECT packet.
type connectOptions struct {
	id        string // a fresh id when empty
	keepalive uint16
	props     []byte // MQTT 5 CONNECT properties, encoded
	will      *willOptions
	username  *string // nil: no user name
	password  *string // nil: no password
}

// willOptions describe a CONNECT's will.
type willOptions struct {
	topic   string
	payload string
	retain  bool
}

// connect sends a CONNECT and returns the CONNACK.
func (w *wire) connect(o connectOptions) packet {
	w.t.Helper()
	w.send(w.connectFrame(o))
	ack := w.next()
	if ack.kind != pkConnack {
		w.t.Fatalf("want CONNACK, got packet %#x", ack.kind)
	}
	return ack
}

// connectFrame encodes a CONNECT packet.
func (w *wire) connectFrame(o connectOptions) []byte {
	if o.id == "" {
		o.id = clientID(w.t)
	}
	flags := byte(0x02) // clean session
	if o.will != nil {
		flags |= 0x04
		if o.will.retain {
			flags |= 0x20
		}
	}
	if o.username != nil {
		flags |= 0x80
	}
	if o.password != nil {
		flags |= 0x40
	}
	body := appendString(nil, "MQTT")
	body = append(body, w.version, flags)
	body = binary.BigEndian.AppendUint16(body, o.keepalive)
	if w.version == 5 {
		body = appendVarint(body, len(o.props))
		body = append(body, o.props...)
	}
	body = appendString(body, o.id)
	if o.will != nil {
		if w.version == 5 {
			body = append(body, 0) // no will properties
		}
		body = appendString(body, o.will.topic)
		body = appendString(body, o.will.payload)
	}
	if o.username != nil {
		body = appendString(body, *o.username)
	}
	if o.password != nil {
		body = appendString(body, *o.password)
	}
	return frame(pkConnect, body)
}

// mustConnect connects and fails the test unless the CONNACK accepts.
func (w *wire) mustConnect(o connectOptions) packet {
	w.t.Helper()
	ack := w.connect(o)
	if code := ack.code(); code != 0 {
		w.t.Fatalf("CONNECT refused: %#x", code)
	}
	return ack
}

// send writes raw bytes.
func (w *wire) send(b []byte) {
	w.t.Helper()
	if _, err := w.conn.Write(b); err != nil {
		w.t.Fatalf("write: %v", err)
	}
}

// drop closes the socket without DISCONNECT.
func (w *wire) drop() { w.conn.Close() }

// disconnect sends DISCONNECT (with an MQTT 5 reason) and waits for the
// server to close the socket.
func (w *wire) disconnect(reason byte) {
	w.t.Helper()
	if w.version == 5 {
		w.send([]byte{pkDisconnect, 1, reason})
	} else {
		w.send([]byte{pkDisconnect, 0})
	}
	w.expectClosed()
}

// packet is one packet from the server.
type packet struct {
	kind  byte // type, high nibble
	flags byte // low nibble
	body  []byte
	size  int // the whole packet's bytes
}

// read returns the next packet, or the error that ended the stream.
func (w *wire) read() (packet, error) {
	_ = w.conn.SetReadDeadline(time.Now().Add(wait))
	first, err := w.r.ReadByte()
	if err != nil {
		return packet{}, err
	}
	length, err := binary.ReadUvarint(w.r) // MQTT's remaining length is this varint
	if err != nil {
		return packet{}, err
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(w.r, body); err != nil {
		return packet{}, err
	}
	return packet{kind: first & 0xf0, flags: first & 0x0f, body: body, size: 1 + varintSize(int(length)) + int(length)}, nil
}

// next returns the next packet; the connection must stay open.
func (w *wire) next() packet {
	w.t.Helper()
	p, err := w.read()
	if err != nil {
		w.t.Fatalf("read: %v", err)
	}
	return p
}

// nextOf returns the next packet of kind, skipping PUBLISH packets (the
// answers to QoS 2 requests).
func (w *wire) nextOf(kind byte) packet {
	w.t.Helper()
	for {
		p := w.next()
		if p.kind == kind {
			return p
		}
		if p.kind != pkPublish {
			w.t.Fatalf("want packet %#x, got %#x %v", kind, p.kind, p.body)
		}
	}
}

// expectClosed reads until the server closes the socket and returns the
// packets read before; it fails if the socket stays open past wait.
func (w *wire) expectClosed() []packet {
	w.t.Helper()
	var got []packet
	for {
		p, err := w.read()
		if err == nil {
			got = append(got, p)
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			w.t.Fatalf("the server did not close the connection within %s", wait)
		}
		return got // EOF, or a reset when the server closed with bytes unread
	}
}

// expectDisconnect reads until the socket closes; an MQTT 5 client must
// have been sent DISCONNECT with reason, an MQTT 3.1.1 client nothing.
func (w *wire) expectDisconnect(reason byte) {
	w.t.Helper()
	got := w.expectClosed()
	if w.version < 5 {
		if len(got) > 0 {
			w.t.Fatalf("packets before the close: %v", got)
		}
		return
	}
	if len(got) != 1 || got[0].kind != pkDisconnect || got[0].code() != reason {
		w.t.Fatalf("want DISCONNECT %#x then close, got %v", reason, got)
	}
}

// code is a CONNACK's return code or reason code, a DISCONNECT's reason.
func (p packet) code() byte {
	switch p.kind {
	case pkConnack:
		return p.body[1]
	case pkDisconnect:
		if len(p.body) == 0 {
			return 0
		}
		return p.body[0]
	}
	return 0xff
}

// props returns an MQTT 5 CONNACK's properties.
func (w *wire) props(ack packet) map[byte][]byte {
	w.t.Helper()
	if ack.kind != pkConnack {
		w.t.Fatalf("want CONNACK, got %#x", ack.kind)
	}
	props, _, err := decodeProps(ack.body[2:])
	if err != nil {
		w.t.Fatalf("CONNACK properties: %v", err)
	}
	return props
}

// publishOf decodes a PUBLISH: its topic and payload.
func (w *wire) publishOf(p packet) (topic string, payload []byte) {
	w.t.Helper()
	if p.kind != pkPublish {
		w.t.Fatalf("want PUBLISH, got %#x %v", p.kind, p.body)
	}
	topicLen := int(binary.BigEndian.Uint16(p.body))
	topic, rest := string(p.body[2:2+topicLen]), p.body[2+topicLen:]
	if p.flags&0x06 != 0 {
		rest = rest[2:]
	}
	if w.version == 5 {
		_, n, err := decodeProps(rest)
		if err != nil {
			w.t.Fatalf("PUBLISH properties: %v", err)
		}
		rest = rest[n:]
	}
	return topic, rest
}

// publish sends a PUBLISH (QoS 0 when id is 0, else qos) with MQTT 5
// properties.
func (w *wire) publish(topic, payload string, qos byte, id uint16, props []byte) {
	w.t.Helper()
	body := appendString(nil, topic)
	if qos > 0 {
		body = binary.BigEndian.AppendUint16(body, id)
	}
	if w.version == 5 {
		body = appendVarint(body, len(props))
		body = append(body, props...)
	}
	w.send(frame(pkPublish|qos<<1, append(body, payload...)))
}

// request publishes a request and returns the answer: the next packet,
// which must be a PUBLISH on the response topic.
func (w *wire) request(payload string) response {
	w.t.Helper()
	w.publish("Kuzzle/request", payload, 0, 0, nil)
	p := w.next()
	topic, body := w.publishOf(p)
	if topic != "Kuzzle/response" {
		w.t.Fatalf("answer on %s: %s", topic, body)
	}
	var r response
	if err := jsonx.Unmarshal(body, &r); err != nil {
		w.t.Fatalf("answer is not JSON: %v: %s", err, body)
	}
	r.raw = body
	return r
}

// subscribe subscribes to one topic and returns the SUBACK's code.
func (w *wire) subscribe(topic string) byte {
	w.t.Helper()
	body := []byte{0, 1}
	if w.version == 5 {
		body = append(body, 0)
	}
	body = append(appendString(body, topic), 0)
	w.send(frame(pkSubscribe|0x02, body))
	ack := w.next()
	if ack.kind != pkSuback {
		w.t.Fatalf("want SUBACK, got %#x", ack.kind)
	}
	return ack.body[len(ack.body)-1]
}

// frame prefixes a packet body with its fixed header.
func frame(first byte, body []byte) []byte {
	return append(appendVarint([]byte{first}, len(body)), body...)
}

func appendString(dst []byte, s string) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(s)))
	return append(dst, s...)
}

func appendVarint(dst []byte, v int) []byte {
	for {
		b := byte(v % 128)
		v /= 128
		if v > 0 {
			b |= 0x80
		}
		dst = append(dst, b)
		if v == 0 {
			return dst
		}
	}
}

func varintSize(v int) int {
	n := 1
	for ; v >= 128; v /= 128 {
		n++
	}
	return n
}

// propUint32 encodes a four-byte integer property.
func propUint32(id byte, v uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{id}, v)
}

// propSizes is the value size of each MQTT 5 property with a fixed one;
// -1 is a variable byte integer, -2 a string or binary data, -4 a string
// pair.
var propSizes = map[byte]int{
	0x01: 1, 0x02: 4, 0x03: -2, 0x08: -2, 0x09: -2, 0x0b: -1, 0x11: 4, 0x12: -2,
	0x13: 2, 0x15: -2, 0x16: -2, 0x17: 1, 0x18: 4, 0x19: 1, 0x1a: -2, 0x1c: -2,
	0x1f: -2, 0x21: 2, 0x22: 2, 0x23: 2, 0x24: 1, 0x25: 1, 0x26: -4, 0x27: 4,
	0x28: 1, 0x29: 1, 0x2a: 1,
}

// decodeProps reads a property list (its length first) into raw values by
// identifier, strings and binary data without their length; it returns the
// bytes it used.
func decodeProps(b []byte) (map[byte][]byte, int, error) {
	length, n := binary.Uvarint(b)
	if n <= 0 || n+int(length) > len(b) {
		return nil, 0, errors.New("bad property length")
	}
	props := map[byte][]byte{}
	list := b[n : n+int(length)]
	for len(list) > 0 {
		id := list[0]
		list = list[1:]
		size, ok := propSizes[id]
		if !ok {
			return nil, 0, errors.New("unknown property")
		}
		start := 0
		switch size {
		case -1:
			_, vn := binary.Uvarint(list)
			size = vn
		case -2:
			if len(list) < 2 {
				return nil, 0, errors.New("short property")
			}
			start, size = 2, 2+int(binary.BigEndian.Uint16(list))
		case -4:
			if len(list) < 2 {
				return nil, 0, errors.New("short property")
			}
			k := 2 + int(binary.BigEndian.Uint16(list))
			if len(list) < k+2 {
				return nil, 0, errors.New("short property")
			}
			size = k + 2 + int(binary.BigEndian.Uint16(list[k:]))
		}
		if size <= 0 || size > len(list) {
			return nil, 0, errors.New("short property")
		}
		props[id] = list[start:size]
		list = list[size:]
	}
	return props, n + int(length), nil
}
