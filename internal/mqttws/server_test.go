package mqttws

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/coder/websocket"
)

const wait = 10 * time.Second

// streamsFunc serves each stream with a function.
type streamsFunc func(net.Conn)

func (f streamsFunc) Serve(c net.Conn) { f(c) }

// start runs a listener on a free loopback port whose streams serve runs,
// and returns its ws:// URL.
func start(t *testing.T, cfg Config, serve func(net.Conn)) string {
	t.Helper()
	cfg.Host, cfg.Port = "127.0.0.1", 0
	s := New(cfg, streamsFunc(serve), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return "ws://" + s.Addr().String() + "/mqtt"
}

// echo writes back every read until the stream ends.
func echo(c net.Conn) {
	defer c.Close()
	_, _ = io.Copy(c, c)
}

func dial(t *testing.T, url string, subprotocols ...string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: subprotocols})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	return ws
}

func TestSubprotocols(t *testing.T) {
	url := start(t, Config{}, echo)
	for _, tt := range []struct{ offered, want string }{{"mqtt", "mqtt"}, {"mqttv3.1", "mqttv3.1"}, {"", ""}} {
		var offered []string
		if tt.offered != "" {
			offered = []string{tt.offered}
		}
		if got := dial(t, url, offered...).Subprotocol(); got != tt.want {
			t.Errorf("offered %q: negotiated %q, want %q", tt.offered, got, tt.want)
		}
	}
}

func TestOtherPathNotFound(t *testing.T) {
	url := start(t, Config{}, echo)
	resp, err := http.Get("http" + url[len("ws"):len(url)-len("/mqtt")] + "/other")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d, want 404", resp.StatusCode)
	}
}

// TestMessagesAreAStream checks that the bytes of several messages read as
// one stream, and that what the server writes reaches the client.
func TestMessagesAreAStream(t *testing.T) {
	url := start(t, Config{}, echo)
	ws := dial(t, url, "mqtt")
	nc := websocket.NetConn(context.Background(), ws, websocket.MessageBinary)
	for _, part := range []string{"ab", "c", "def"} {
		if _, err := nc.Write([]byte(part)); err != nil {
			t.Fatal(err)
		}
	}
	_ = nc.SetReadDeadline(time.Now().Add(wait))
	got := make([]byte, 6)
	if _, err := io.ReadFull(nc, got); err != nil || string(got) != "abcdef" {
		t.Fatalf("read %q, %v; want abcdef", got, err)
	}
}

func TestMessageSizeBound(t *testing.T) {
	url := start(t, Config{MaxMessageSize: 1000}, echo)
	ws := dial(t, url, "mqtt")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := ws.Write(ctx, websocket.MessageBinary, bytes.Repeat([]byte("x"), 2000)); err != nil {
		t.Fatal(err)
	}
	var err error
	for err == nil { // the echo of what was read before the bound
		_, _, err = ws.Read(ctx)
	}
	if code := websocket.CloseStatus(err); code != websocket.StatusMessageTooBig {
		t.Fatalf("closed with %v (%v), want 1009", code, err)
	}
}

// TestReadDeadline checks that a read past its deadline reports a timeout,
// as a socket's does, and that Close does not wait for the peer.
func TestReadDeadline(t *testing.T) {
	result := make(chan error, 1)
	closed := make(chan time.Duration, 1)
	url := start(t, Config{}, func(c net.Conn) {
		_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		_, err := c.Read(make([]byte, 10))
		result <- err
		begin := time.Now()
		_ = c.Close()
		closed <- time.Since(begin)
	})
	dial(t, url, "mqtt") // sends nothing, never reads
	select {
	case err := <-result:
		var ne net.Error
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("read error %v, want a timeout", err)
		}
	case <-time.After(wait):
		t.Fatal("read did not time out")
	}
	if d := <-closed; d > time.Second {
		t.Fatalf("Close took %s: it waited for the peer", d)
	}
}
