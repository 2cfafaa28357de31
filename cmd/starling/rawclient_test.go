package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/jsonx"
)

// rawClient speaks just enough MQTT 3.1.1 over a plain socket to play a
// client that stops reading, which no library client lets a test do: it
// reads only when the test tells it to.
type rawClient struct {
	conn net.Conn
	r    *bufio.Reader
}

// dialRaw connects a client with clean session and no keepalive. A stuck
// client's socket receive buffer is shrunk, so that it fills after a few
// kilobytes and what follows waits on the server's side.
func dialRaw(t *testing.T, addr, id string, stuck bool) *rawClient {
	t.Helper()
	dialer := net.Dialer{Timeout: wait}
	if stuck {
		// Before connecting, so that the window the client announces is
		// small from its first segment.
		dialer.Control = func(_, _ string, raw syscall.RawConn) error {
			var err error
			if cerr := raw.Control(func(fd uintptr) {
				err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
			}); cerr != nil {
				return cerr
			}
			return err
		}
	}
	conn, err := dialer.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &rawClient{conn: conn, r: bufio.NewReader(conn)}
	body := []byte{0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 0}
	body = binary.BigEndian.AppendUint16(body, uint16(len(id)))
	c.write(t, packet(0x10, append(body, id...)))
	typ, ack, err := c.next(wait)
	if err != nil || typ != 0x20 || len(ack) != 2 || ack[1] != 0 {
		t.Fatalf("CONNACK for %s: type %#x %v, %v", id, typ, ack, err)
	}
	return c
}

// packet frames a body: its first byte, then the remaining length, which
// is MQTT's variable byte integer, the same encoding as a uvarint.
func packet(first byte, body []byte) []byte {
	return append(binary.AppendUvarint([]byte{first}, uint64(len(body))), body...)
}

// publishPacket is a QoS 0 PUBLISH.
func publishPacket(topic string, payload []byte) []byte {
	body := binary.BigEndian.AppendUint16(nil, uint16(len(topic)))
	return packet(0x30, append(append(body, topic...), payload...))
}

// splitPublish returns a QoS 0 PUBLISH body's topic and payload.
func splitPublish(body []byte) (string, []byte) {
	if len(body) < 2 || len(body) < 2+int(binary.BigEndian.Uint16(body)) {
		return "", nil
	}
	n := int(binary.BigEndian.Uint16(body))
	return string(body[2 : 2+n]), body[2+n:]
}

func (c *rawClient) write(t *testing.T, b []byte) {
	t.Helper()
	_ = c.conn.SetWriteDeadline(time.Now().Add(wait))
	if _, err := c.conn.Write(b); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// next reads the next packet, waiting at most d, and returns its type and
// body.
func (c *rawClient) next(d time.Duration) (byte, []byte, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(d))
	header, err := c.r.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	length, err := binary.ReadUvarint(c.r)
	if err != nil {
		return 0, nil, err
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(c.r, body); err != nil {
		return 0, nil, err
	}
	return header & 0xf0, body, nil
}

// answer is a decoded Kuzzle response.
type answer struct {
	RequestID string           `json:"requestId"`
	Status    int              `json:"status"`
	Result    jsonx.RawMessage `json:"result"`
	raw       []byte
}

// request publishes an API request and returns its answer, which must be
// the next packet: the client is subscribed to nothing else yet.
func (c *rawClient) request(t *testing.T, payload string) answer {
	t.Helper()
	c.write(t, publishPacket("Kuzzle/request", []byte(payload)))
	typ, body, err := c.next(wait)
	if err != nil || typ != 0x30 {
		t.Fatalf("no answer (packet type %#x): %v", typ, err)
	}
	topic, raw := splitPublish(body)
	var a answer
	if err := jsonx.Unmarshal(raw, &a); err != nil || topic != "Kuzzle/response" || a.Status != 200 {
		t.Fatalf("unexpected answer on %s: %.300s", topic, raw)
	}
	a.raw = raw
	return a
}

// subscribeChannel calls realtime:subscribe on index i, collection c, then
// subscribes to the channel it names, and returns the channel.
func (c *rawClient) subscribeChannel(t *testing.T, filter string) string {
	t.Helper()
	a := c.request(t, `{"controller":"realtime","action":"subscribe","index":"i","collection":"c","body":`+filter+`}`)
	var s struct{ Channel string }
	if err := jsonx.Unmarshal(a.Result, &s); err != nil || s.Channel == "" {
		t.Fatalf("no channel: %s", a.raw)
	}
	body := binary.BigEndian.AppendUint16([]byte{0, 1}, uint16(len(s.Channel)))
	c.write(t, packet(0x82, append(append(body, s.Channel...), 0)))
	typ, ack, err := c.next(wait)
	if err != nil || typ != 0x90 || len(ack) != 3 || ack[2] >= 0x80 {
		t.Fatalf("SUBSCRIBE to %s refused: type %#x %v, %v", s.Channel, typ, ack, err)
	}
	return s.Channel
}

// notify calls realtime:publish with a document {"n": n, "pad": pad}.
func (c *rawClient) notify(t *testing.T, n int, pad string) {
	t.Helper()
	c.request(t, `{"controller":"realtime","action":"publish","index":"i","collection":"c","body":{"n":`+
		strconv.Itoa(n)+`,"pad":"`+pad+`"}}`)
}

// drain reads and discards what the socket holds until the server closes
// it or d passes; it returns how many bytes it read and whether the socket
// was closed. It first widens a stuck client's receive buffer: through 4 KB,
// the megabytes the server's kernel may still hold for it, closed socket or
// not, would take minutes to come.
func (c *rawClient) drain(d time.Duration) (int64, bool) {
	_ = c.conn.(*net.TCPConn).SetReadBuffer(4 << 20)
	_ = c.conn.SetReadDeadline(time.Now().Add(d))
	n, err := io.Copy(io.Discard, c.r) // nil at EOF; a reset is a close too
	var ne net.Error
	return n, !errors.As(err, &ne) || !ne.Timeout()
}

// drainUntilClosed drains the socket and fails the test if the server did
// not close it within d.
func (c *rawClient) drainUntilClosed(t *testing.T, d time.Duration) int64 {
	t.Helper()
	n, closed := c.drain(d)
	if !closed {
		t.Fatalf("the server did not close the socket within %s (%d bytes read)", d, n)
	}
	return n
}

// mqttMetrics is what server:metrics says of the MQTT listener.
type mqttMetrics struct {
	Network struct {
		Connections map[string]int   `json:"connections"`
		MQTT        map[string]int64 `json:"mqtt"`
	} `json:"network"`
	Refused map[string]int64 `json:"refused"`
}

func (m mqttMetrics) connections() int   { return m.Network.Connections["mqtt"] }
func (m mqttMetrics) queuedBytes() int64 { return m.Network.MQTT["queuedBytes"] }

func (c *rawClient) metrics(t *testing.T) mqttMetrics {
	t.Helper()
	a := c.request(t, `{"controller":"server","action":"metrics"}`)
	var m mqttMetrics
	if err := jsonx.Unmarshal(a.Result, &m); err != nil {
		t.Fatalf("metrics: %v: %s", err, a.raw)
	}
	return m
}

// awaitMetrics asks server:metrics until ok holds, at most wait.
func (c *rawClient) awaitMetrics(t *testing.T, what string, ok func(mqttMetrics) bool) mqttMetrics {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		m := c.metrics(t)
		if ok(m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s; last metrics %+v", what, wait, m)
		}
	}
}

// peakRSS returns the process's peak resident set size (VmHWM), in bytes.
func (p *process) peakRSS(t *testing.T) int64 {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", rest, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/<pid>/status")
	return 0
}

// terminate sends SIGTERM and waits at most bound for the process to
// exit; it returns the exit status, how long the exit took and the output.
func (p *process) terminate(t *testing.T, bound time.Duration) (int, time.Duration, string) {
	t.Helper()
	began := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(bound)
	var out []string
	for lines := p.lines; lines != nil; {
		select {
		case line, ok := <-lines:
			if !ok {
				lines = nil
				continue
			}
			out = append(out, line)
		case <-deadline:
			t.Fatalf("starling still running %s after SIGTERM:\n%s", bound, strings.Join(out, "\n"))
		}
	}
	select {
	case err := <-p.exited:
		elapsed := time.Since(began)
		var exit *exec.ExitError
		switch {
		case err == nil:
			return 0, elapsed, strings.Join(out, "\n")
		case errors.As(err, &exit):
			return exit.ExitCode(), elapsed, strings.Join(out, "\n")
		}
		t.Fatal(err)
	case <-deadline:
		t.Fatalf("starling still running %s after SIGTERM:\n%s", bound, strings.Join(out, "\n"))
	}
	return -1, 0, ""
}

// padding is n bytes of JSON string content.
func padding(n int) string { return string(bytes.Repeat([]byte{'x'}, n)) }
