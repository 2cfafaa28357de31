package node_test

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/tlsconf/tlstest"
)

// dialStuckTLS is dialStuck over TLS: an MQTT 3.1.1 client with id whose
// socket receive buffer is 4 KB. It returns the client and its TCP socket.
func dialStuckTLS(t *testing.T, addr, id string, cfg *tls.Config) (*rawClient, *net.TCPConn) {
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
	tcp, err := dialer.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tcp.Close() })
	conn := tls.Client(tcp, cfg)
	c := &rawClient{conn: conn, r: bufio.NewReader(conn)}
	connect := []byte{0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 0}
	connect = binary.BigEndian.AppendUint16(connect, uint16(len(id)))
	connect = append(connect, id...)
	c.write(t, append(binary.AppendUvarint([]byte{0x10}, uint64(len(connect))), connect...))
	if typ, body := c.read(t); typ != 0x20 || body[1] != 0 {
		t.Fatalf("want CONNACK 0, got packet type %#x %v", typ, body)
	}
	return c, tcp.(*net.TCPConn)
}

// TestTakeoverOfStuckTLSClient: over TLS too, a CONNECT with the id of a
// client whose socket is full gets its CONNACK at once and the old socket
// closes, without waiting on the stuck client's socket.
func TestTakeoverOfStuckTLSClient(t *testing.T) {
	files := newTLSFiles(t, "mqtt")
	srv := startServer(t, func(c *config.Config) {
		c.Server.MQTT.TLS = files.conf()
		c.Server.MQTT.WriteTimeout = time.Minute // only the takeover can end the stuck write
		c.Server.MQTT.MaxPendingBytes = 64 << 20 // the stuck client is not cut as slow first
	})
	client := tlstest.ClientConfig(nil, files.ca)
	stuck, stuckTCP := dialStuckTLS(t, srv.addr, "stuck", client)
	var s sub
	if err := jsonx.Unmarshal(getResult(t, stuck.request(t, subscribeRequest(`{}`))), &s); err != nil {
		t.Fatal(err)
	}
	stuck.subscribe(t, s.Channel)
	// From here on the stuck client reads nothing.

	publisher := dialWS(t, srv) // plain WebSocket: only MQTT speaks TLS here
	const notifications, size = 300, 64 << 10
	pad := strings.Repeat("x", size)
	for n := range notifications {
		m := publisher.call(`{"controller":"realtime","action":"publish","index":"i","collection":"c","requestId":"p` +
			strconv.Itoa(n) + `","body":{"pad":"` + pad + `"}}`)
		if m.Status != 200 {
			t.Fatalf("publish: %s", m.raw)
		}
	}
	deadline := time.Now().Add(wait)
	for {
		m := publisher.call(`{"controller":"server","action":"metrics","requestId":"metrics"}`)
		var g mqttGauges
		if err := jsonx.Unmarshal(m.Result, &g); err != nil {
			t.Fatal(err)
		}
		if g.Network.MQTT["queuedBytes"] >= notifications*size/2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("notifications not queued for the stuck client within %s", wait)
		}
	}

	began := time.Now()
	taker, _ := dialStuckTLS(t, srv.addr, "stuck", client)
	if elapsed := time.Since(began); elapsed > 2*time.Second {
		t.Fatalf("the takeover waited %s for the stuck client", elapsed)
	}
	_ = stuckTCP.SetReadBuffer(4 << 20)
	_ = stuck.conn.SetReadDeadline(time.Now().Add(wait))
	_, err := io.Copy(io.Discard, stuck.r) // EOF, a TLS error or a reset: closed
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the stuck client's socket was not closed within %s", wait)
	}
	if r := getResult(t, taker.request(t, `{"controller":"server","action":"now"}`)); !strings.Contains(string(r), `"now":`) {
		t.Fatalf("server:now on the new connection: %s", r)
	}
}

// TestTLSNotificationsInOrder: a burst of notifications reaches a TLS
// subscriber whole and in order.
func TestTLSNotificationsInOrder(t *testing.T) {
	files := newTLSFiles(t, "mqtt")
	srv := startServer(t, func(c *config.Config) { c.Server.MQTT.TLS = files.conf() })
	w, err := dialWireTLS(t, srv.addr, tlstest.ClientConfig(nil, files.ca))
	if err != nil {
		t.Fatal(err)
	}
	w.mustConnect(connectOptions{})
	var s sub
	if err := jsonx.Unmarshal(w.request(subscribeRequest(`{}`)).Result, &s); err != nil {
		t.Fatal(err)
	}
	if code := w.subscribe(s.Channel); code != 0 {
		t.Fatalf("SUBACK %#x", code)
	}
	publisher := dialWS(t, srv)
	const count = 500
	for n := range count {
		publisher.send(`{"controller":"realtime","action":"publish","index":"i","collection":"c","body":{"n":` + strconv.Itoa(n) + `}}`)
	}
	for n := range count {
		topic, payload := w.publishOf(w.nextOf(pkPublish))
		var note struct {
			Result struct {
				Source struct {
					N int `json:"n"`
				} `json:"_source"`
			} `json:"result"`
		}
		if topic != s.Channel || jsonx.Unmarshal(payload, &note) != nil || note.Result.Source.N != n {
			t.Fatalf("notification %d: %s %s", n, topic, payload)
		}
	}
}

// TestTLSHandshakeWithinConnectTimeout: a socket that never starts its
// TLS handshake is closed after connectTimeout, like one that never sends
// its CONNECT.
func TestTLSHandshakeWithinConnectTimeout(t *testing.T) {
	files := newTLSFiles(t, "mqtt")
	srv := startServer(t, func(c *config.Config) {
		c.Server.MQTT.TLS = files.conf()
		c.Server.MQTT.ConnectTimeout = 200 * time.Millisecond
	})
	conn, err := net.Dial("tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	_, err = io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("a socket without a TLS handshake was still open after %s", wait)
	}
}
