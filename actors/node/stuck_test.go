package node_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/mqtt"
)

// dialStuck connects a raw MQTT 3.1.1 client with id whose socket receive
// buffer is shrunk to 4 KB before connecting, so that the window it
// announces is small from the start: its socket fills after a few
// kilobytes and what follows waits on the server's side.
func dialStuck(t *testing.T, addr, id string) *rawClient {
	t.Helper()
	dialer := net.Dialer{Timeout: wait, Control: func(_, _ string, raw syscall.RawConn) error {
		var err error
		if cerr := raw.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		}); cerr != nil {
			return cerr
		}
		return err
	}}
	conn, err := dialer.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &rawClient{conn: conn, r: bufio.NewReader(conn)}
	connect := []byte{0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 0}
	connect = binary.BigEndian.AppendUint16(connect, uint16(len(id)))
	connect = append(connect, id...)
	c.write(t, append(binary.AppendUvarint([]byte{0x10}, uint64(len(connect))), connect...))
	if typ, body := c.read(t); typ != 0x20 || body[1] != 0 {
		t.Fatalf("want CONNACK 0, got packet type %#x %v", typ, body)
	}
	return c
}

// widen lets the client read fast again: through a 4 KB buffer, the
// megabytes the server's kernel may hold for it take minutes to come.
func (c *rawClient) widen() { _ = c.conn.(*net.TCPConn).SetReadBuffer(4 << 20) }

// expectClosed reads and discards until the server closes the socket, and
// returns how many bytes were left to read.
func (c *rawClient) expectClosed(t *testing.T) int64 {
	t.Helper()
	c.widen()
	_ = c.conn.SetReadDeadline(time.Now().Add(wait))
	n, err := io.Copy(io.Discard, c.r) // nil at EOF; a reset is a close too
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server did not close the socket within %s (%d bytes read)", wait, n)
	}
	return n
}

// mqttGauges is what server:metrics says of the MQTT listener and the
// dispatcher.
type mqttGauges struct {
	API struct {
		ConcurrentRequests int `json:"concurrentRequests"`
		PendingRequests    int `json:"pendingRequests"`
	} `json:"api"`
	Network struct {
		Connections map[string]int   `json:"connections"`
		MQTT        map[string]int64 `json:"mqtt"`
	} `json:"network"`
	Refused map[string]int64 `json:"refused"`
}

func gauges(t *testing.T, c client) mqttGauges {
	t.Helper()
	r := request(t, c, `{"controller":"server","action":"metrics"}`)
	var m mqttGauges
	if err := jsonx.Unmarshal(r.Result, &m); err != nil {
		t.Fatalf("metrics: %v: %s", err, r.raw)
	}
	return m
}

// TestTakeoverOfStuckClient: a CONNECT with the id of a client whose
// socket is full and whose queue holds packets gets its CONNACK at once,
// not after the stuck client's write timeout, and the old socket closes.
func TestTakeoverOfStuckClient(t *testing.T) {
	srv := startServer(t, func(c *config.Config) {
		c.Server.MQTT.WriteTimeout = time.Minute // only the takeover can end the stuck write
		c.Server.MQTT.MaxPendingBytes = 64 << 20 // the stuck client is not cut as slow first
	})
	stuck := dialStuck(t, srv.addr, "stuck")
	var s sub
	if err := jsonx.Unmarshal(getResult(t, stuck.request(t, subscribeRequest(`{}`))), &s); err != nil {
		t.Fatal(err)
	}
	stuck.subscribe(t, s.Channel)
	// From here on the stuck client reads nothing.

	publisher := connect3(t, srv.addr)
	const notifications, size = 300, 64 << 10
	pad := strings.Repeat("x", size)
	for n := range notifications {
		publish(t, publisher, `{"n":`+strconv.Itoa(n)+`,"pad":"`+pad+`"}`, "")
	}
	// Most of the 19 MB cannot fit in the two sockets' buffers: they wait
	// in the stuck client's queue, behind a write blocked on its socket.
	deadline := time.Now().Add(wait)
	for gauges(t, publisher).Network.MQTT["queuedBytes"] < notifications*size/2 {
		if time.Now().After(deadline) {
			t.Fatalf("notifications not queued for the stuck client within %s", wait)
		}
	}

	began := time.Now()
	taker := dialStuck(t, srv.addr, "stuck")
	elapsed := time.Since(began)
	t.Logf("CONNACK to the new connection %s after its CONNECT", elapsed)
	if elapsed > 2*time.Second {
		t.Fatalf("the takeover waited %s for the stuck client", elapsed)
	}
	left := stuck.expectClosed(t)
	t.Logf("old socket closed; %d bytes were left in it", left)
	taker.widen()
	if r := getResult(t, taker.request(t, `{"controller":"server","action":"now"}`)); !strings.Contains(string(r), `"now":`) {
		t.Fatalf("server:now on the new connection: %s", r)
	}
}

// holder is a test controller: hold:wait blocks until release is closed.
// It counts the actions running and the most that ever ran at once.
type holder struct {
	release          chan struct{}
	started, done    chan string
	running, highest atomic.Int64
}

func newHolder(capacity int) *holder {
	return &holder{release: make(chan struct{}), started: make(chan string, capacity), done: make(chan string, capacity)}
}

func (h *holder) controller() api.Controller {
	return api.Controller{Name: "hold", Actions: map[string]api.Action{
		"wait": func(ctx context.Context, req *api.Request) (any, error) {
			h.raise(h.running.Add(1))
			h.started <- req.ID
			defer func() { h.running.Add(-1); h.done <- req.ID }()
			select {
			case <-h.release:
				return "released", nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		},
	}}
}

// raise records running actions as the most ever seen if they are.
func (h *holder) raise(running int64) {
	for {
		high := h.highest.Load()
		if running <= high || h.highest.CompareAndSwap(high, running) {
			return
		}
	}
}

// flood writes count requests for controller:action with requestIds
// prefix0, prefix1 … from a goroutine, since the server may stop reading
// them; the channel gets the write error, nil once all are written.
func flood(c *rawClient, prefix, controller, action string, count int) <-chan error {
	var buf []byte
	for i := range count {
		buf = append(buf, mqtt.EncodePublish("Kuzzle/request",
			[]byte(`{"controller":"`+controller+`","action":"`+action+`","requestId":"`+prefix+strconv.Itoa(i)+`"}`), 4)...)
	}
	written := make(chan error, 1)
	go func() {
		_ = c.conn.SetWriteDeadline(time.Now().Add(wait))
		_, err := c.conn.Write(buf)
		written <- err
	}()
	return written
}

// readAnswers reads count answers, in any order, and fails unless they are
// successes to the requestIds prefix0 … prefix<count-1>.
func readAnswers(t *testing.T, c *rawClient, prefix string, count int) {
	t.Helper()
	seen := make(map[string]bool, count)
	for len(seen) < count {
		typ, body := c.read(t)
		if typ != 0x30 {
			t.Fatalf("want PUBLISH, got packet type %#x", typ)
		}
		var r response
		if err := jsonx.Unmarshal(body[2+int(binary.BigEndian.Uint16(body)):], &r); err != nil || r.Status != 200 {
			t.Fatalf("unexpected answer %s (%v)", body, err)
		}
		id, ok := strings.CutPrefix(r.RequestID, prefix)
		if n, err := strconv.Atoi(id); !ok || err != nil || n < 0 || n >= count || seen[r.RequestID] {
			t.Fatalf("unexpected or repeated answer to %q after %d answers", r.RequestID, len(seen))
		}
		seen[r.RequestID] = true
	}
}

// TestRequestsInFlightAreBounded: a client that sends thousands of
// requests without reading its answers is read no further than
// maxInflightRequests unanswered ones, is not disconnected, and gets every
// answer once it reads.
func TestRequestsInFlightAreBounded(t *testing.T) {
	const inflight, requests = 4, 2000
	h := newHolder(requests)
	srv := startServer(t, func(c *config.Config) { c.Server.MQTT.MaxInflightRequests = inflight }, h.controller())
	c, observer := dialStuck(t, srv.addr, "flooder"), connect3(t, srv.addr)

	// Requests that cannot be answered yet: the server reads 4 of them and
	// stops. Were it reading on, the dispatcher would by now run 100 (its
	// concurrentRequests) and hold the rest pending.
	written := flood(c, "hold-", "hold", "wait", requests)
	for range inflight {
		select {
		case <-h.started:
		case <-timeout():
			t.Fatalf("%d of the first %d requests started", h.running.Load(), inflight)
		}
	}
	m := gauges(t, observer)
	if running := m.API.ConcurrentRequests - 1; running != inflight || m.API.PendingRequests != 0 || h.highest.Load() != inflight {
		t.Fatalf("%d requests running (at most %d), %d pending in the dispatcher; want %d and none",
			running, h.highest.Load(), m.API.PendingRequests, inflight)
	}

	// Answered, the requests leave room for the next ones: every request is
	// read and answered although the client reads nothing.
	close(h.release)
	for i := range requests {
		select {
		case <-h.done:
		case <-timeout():
			t.Fatalf("%d of %d requests answered", i, requests)
		}
	}
	if err := <-written; err != nil {
		t.Fatalf("writing the requests: %v", err)
	}
	m = gauges(t, observer)
	if m.Network.Connections["mqtt"] != 2 || len(m.Refused) != 0 || h.highest.Load() != inflight {
		t.Fatalf("the flooding client must stay connected, nothing refused, at most %d requests run at once (%d did): %+v",
			inflight, h.highest.Load(), m)
	}
	t.Logf("%d answers written, %d bytes of them still queued: the client reads now", requests, m.Network.MQTT["queuedBytes"])
	c.widen()
	readAnswers(t, c, "hold-", requests)

	// The same with requests answered at once, as a client pipelining
	// server:now would send them.
	if err := <-flood(c, "now-", "server", "now", requests); err != nil {
		t.Fatalf("writing the requests: %v", err)
	}
	readAnswers(t, c, "now-", requests)
	if m := gauges(t, observer); m.Network.Connections["mqtt"] != 2 || len(m.Refused) != 0 {
		t.Fatalf("the flooding client must stay connected, nothing refused: %+v", m)
	}
}
