package httpws

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/starlingmq/starling/internal/api"
)

// fakeHandler hands the WebSocket clients it opens to the test.
type fakeHandler struct{ opened chan *Client }

func (h *fakeHandler) HTTP(_ []byte, _ api.Connection, reply Responder) {
	_ = reply.Respond([]byte(`{"status":200}`))
}

func (h *fakeHandler) OpenWebSocket(c *Client) Session {
	h.opened <- c
	return nopSession{}
}

type nopSession struct{}

func (nopSession) Request([]byte, Responder) {}
func (nopSession) Closed()                   {}

// TestSlowClientDisconnected: a client that reads nothing while messages
// pile up past MaxPendingBytes is disconnected, with Kuzzle's 1011.
func TestSlowClientDisconnected(t *testing.T) {
	h := &fakeHandler{opened: make(chan *Client, 1)}
	srv, err := New(Config{
		Host: "127.0.0.1", WebSocket: true, MaxRequestSize: 1 << 20, MaxEncodingLayers: 3,
		IdleTimeout: time.Minute, MaxPendingMessages: 1 << 20, MaxPendingBytes: 1 << 20,
	}, h, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Close(context.Background()) }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws://"+srv.Addr().String()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	client := <-h.opened
	message := append(append([]byte(`{"x":"`), bytes.Repeat([]byte("x"), 64<<10)...), `"}`...)
	delivered := 0
	for client.Deliver(message) {
		delivered++
		if delivered > 100000 { // 6 GB: the socket's buffers can hold nowhere near that
			t.Fatal("a client that reads nothing is never disconnected")
		}
	}
	conn.SetReadLimit(1 << 20)
	for {
		_, _, err := conn.Read(ctx)
		if err == nil {
			continue // what the socket held before the close
		}
		if websocket.CloseStatus(err) != websocket.StatusInternalError {
			t.Fatalf("want close status 1011, got %v", err)
		}
		return
	}
}
