package mqtt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// stubHandler opens stubSessions; topics starting with "chan-" are
// channels, granted when they end with "-ok".
type stubHandler struct {
	mu       sync.Mutex
	requests [][]byte
	closed   int
}

func (h *stubHandler) Open(*Conn) Session         { return &stubSession{h: h} }
func (h *stubHandler) Reserved(topic string) bool { return strings.HasPrefix(topic, "chan-") }

type stubSession struct{ h *stubHandler }

func (s *stubSession) Request(payload []byte, reply *Reply) {
	s.h.mu.Lock()
	if len(s.h.requests) < 100 {
		s.h.requests = append(s.h.requests, payload)
	}
	s.h.mu.Unlock()
	_ = reply.Respond([]byte(`{"requestId":"x","status":200}`))
}
func (s *stubSession) Subscribe(topic string) bool { return strings.HasSuffix(topic, "-ok") }
func (s *stubSession) Unsubscribe(string)          {}
func (s *stubSession) Closed() {
	s.h.mu.Lock()
	s.h.closed++
	s.h.mu.Unlock()
}

// sink is a net.Conn that keeps what is written to it and reads nothing.
type sink struct {
	mu     sync.Mutex
	out    bytes.Buffer
	writes int
	closed bool
}

func (s *sink) Read([]byte) (int, error) { return 0, io.EOF }
func (s *sink) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, net.ErrClosed
	}
	s.writes++
	return s.out.Write(b)
}

// tryWrite and writeBuffers make a sink a directConn, written to as a
// socket that always takes everything.
func (s *sink) tryWrite(b []byte) (int, error) { return s.Write(b) }
func (s *sink) writeBuffers(bufs *net.Buffers) (int64, error) {
	var n int64
	for _, b := range *bufs {
		m, err := s.Write(b)
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (s *sink) Close() error                     { s.mu.Lock(); s.closed = true; s.mu.Unlock(); return nil }
func (s *sink) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (s *sink) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (s *sink) SetDeadline(time.Time) error      { return nil }
func (s *sink) SetReadDeadline(time.Time) error  { return nil }
func (s *sink) SetWriteDeadline(time.Time) error { return nil }

func testConn(t testing.TB, cfg Config) (*Conn, *stubHandler, *sink) {
	t.Helper()
	h := &stubHandler{}
	s := New(cfg, h, slog.New(slog.NewTextHandler(io.Discard, nil)))
	out := &sink{}
	return newConn(s, out), h, out
}

// connectPacket is an MQTT 3.1.1 CONNECT (clean session, keepalive 0).
func connectPacket(id string) []byte {
	body := []byte{0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 0}
	body = binary.BigEndian.AppendUint16(body, uint16(len(id)))
	body = append(body, id...)
	return append(appendHeader(nil, 0x10, len(body)), body...)
}

func publishPacket(topic string, payload []byte) []byte {
	return AppendPublish(nil, topic, payload, 4)
}

func connected(t testing.TB, cfg Config) (*Conn, *stubHandler, *sink) {
	c, h, out := testConn(t, cfg)
	if err := c.consume(connectPacket("c1")); err != nil {
		t.Fatalf("CONNECT: %v", err)
	}
	if c.session == nil {
		t.Fatal("no session after CONNECT")
	}
	return c, h, out
}

func TestConsumeJoinsSplitPackets(t *testing.T) {
	c, h, out := connected(t, Config{})
	stream := bytes.Repeat(publishPacket("Kuzzle/request", []byte(`{"controller":"server","action":"now"}`)), 3)
	for i := range stream { // one byte per read
		if err := c.consume(stream[i : i+1]); err != nil {
			t.Fatalf("byte %d: %v", i, err)
		}
	}
	if len(h.requests) != 3 {
		t.Fatalf("got %d requests, want 3", len(h.requests))
	}
	if c.partial != nil {
		t.Fatalf("a buffer is still held after whole packets: %d bytes", cap(c.partial))
	}
	if !bytes.Contains(out.out.Bytes(), []byte("Kuzzle/response")) {
		t.Fatal("no answer written")
	}
}

// TestCorkedAnswersShareOneWrite: the answers of the requests of one read
// wait until the read is handled, then go out in one write.
func TestCorkedAnswersShareOneWrite(t *testing.T) {
	c, h, out := connected(t, Config{})
	out.mu.Lock()
	out.out.Reset()
	out.writes = 0
	out.mu.Unlock()
	c.out.cork()
	if err := c.consume(bytes.Repeat(publishPacket("Kuzzle/request", []byte(`{"controller":"server","action":"now"}`)), 10)); err != nil {
		t.Fatal(err)
	}
	out.mu.Lock()
	early := out.writes
	out.mu.Unlock()
	if early != 0 || len(h.requests) != 10 {
		t.Fatalf("while corked: %d writes, %d requests", early, len(h.requests))
	}
	c.out.uncork()
	out.mu.Lock()
	defer out.mu.Unlock()
	if n := bytes.Count(out.out.Bytes(), []byte("Kuzzle/response")); n != 10 || out.writes != 1 {
		t.Fatalf("after uncork: %d answers in %d writes, want 10 in 1", n, out.writes)
	}
}

func TestOversizedPacketRefusedFromItsHeader(t *testing.T) {
	c, _, _ := connected(t, Config{MaxPacketSize: 1 << 10})
	header := appendHeader(nil, 0x30, 100<<20) // announces 100 MB
	err := c.consume(append(header, 0, 3, 'a', 'b', 'c'))
	if !errors.Is(err, causeTooLarge) {
		t.Fatalf("got %v, want %v", err, causeTooLarge)
	}
	if cap(c.partial) > 1<<10 {
		t.Fatalf("%d bytes held for a refused packet", cap(c.partial))
	}
}

func TestPublishRulesWithoutPubSub(t *testing.T) {
	for _, topic := range []string{"Kuzzle/response", "plain/topic", "chan-1", "$SYS/x"} {
		c, _, _ := connected(t, Config{})
		if err := c.consume(publishPacket(topic, []byte("x"))); !errors.Is(err, causeForbidden) {
			t.Errorf("publish on %s: got %v, want %v", topic, err, causeForbidden)
		}
	}
}

func TestPublishAllowed(t *testing.T) {
	s := New(Config{AllowPubSub: true}, &stubHandler{}, nil)
	cases := map[string]bool{
		"plain/topic": true, "Kuzzle/request": false, "Kuzzle/response": false,
		"chan-1": false, "$SYS/broker": false, "a/+/b": false, "a/#": false, "": false,
	}
	for topic, want := range cases {
		if got := s.publishAllowed(topic); got != want {
			t.Errorf("publishAllowed(%q) = %v, want %v", topic, got, want)
		}
	}
}

func TestRetainedBounds(t *testing.T) {
	c, _, _ := connected(t, Config{AllowPubSub: true, MaxRetainedMessages: 2, MaxRetainedBytes: 1 << 10})
	r := c.srv.router
	r.retain(c, "a", []byte("1"))
	r.retain(c, "b", []byte("2"))
	r.retain(c, "c", []byte("3")) // third topic: over the count
	r.retain(c, "a", []byte("11"))
	if n, _ := r.retainedStats(); n != 2 || string(r.retained["a"]) != "11" || r.retained["c"] != nil {
		t.Fatalf("retained %v", r.retained)
	}
	r.retain(c, "b", nil) // an empty payload frees room
	r.retain(c, "big", bytes.Repeat([]byte("x"), 2<<10))
	r.retain(c, "c", []byte("3"))
	if n, size := r.retainedStats(); n != 2 || size != len("a11c3") || r.retained["big"] != nil {
		t.Fatalf("retained %d messages, %d bytes: %v", n, size, r.retained)
	}
	if got := c.srv.stats.retainedRefused.Load(); got != 2 {
		t.Fatalf("%d refusals counted, want 2", got)
	}
}

func TestInflightWaitsForAnswers(t *testing.T) {
	var f inflight
	if !f.acquire(10, 1, 100, nil) {
		t.Fatal("first request refused")
	}
	acquired := make(chan bool)
	go func() { acquired <- f.acquire(10, 1, 100, nil) }()
	select {
	case <-acquired:
		t.Fatal("second request went past the bound")
	case <-time.After(20 * time.Millisecond): // it must still be waiting
	}
	f.release(10)
	if !<-acquired {
		t.Fatal("second request refused after an answer")
	}
	go func() { acquired <- f.acquire(10, 1, 100, nil) }()
	f.close()
	if <-acquired {
		t.Fatal("a closed connection accepted a request")
	}
}

// FuzzConsume feeds arbitrary bytes after a CONNECT: the connection may
// close, never panic, and never holds more than a packet's worth.
func FuzzConsume(f *testing.F) {
	f.Add(publishPacket("Kuzzle/request", []byte(`{}`)))
	f.Add([]byte{0x82, 0x05, 0, 1, 0, 1, 'a'})        // SUBSCRIBE cut short
	f.Add([]byte{0x82, 0x02, 0, 1})                   // SUBSCRIBE without filters
	f.Add([]byte{0xa2, 0x04, 0, 1, 0, 9})             // UNSUBSCRIBE cut short
	f.Add([]byte{0x62, 0x02, 0, 1, 0xc0, 0x00})       // PUBREL, PINGREQ
	f.Add([]byte{0x30, 0xff, 0xff, 0xff, 0xff, 0x7f}) // malformed length
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _, _ := connected(t, Config{MaxPacketSize: 4 << 10})
		_ = c.consume(data)
		if cap(c.partial) > 4<<10+8 {
			t.Fatalf("%d bytes held", cap(c.partial))
		}
	})
}
