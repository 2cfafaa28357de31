package node_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/starlingmq/starling/internal/config"
)

// wsClient is a WebSocket client of the node.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
}

// wsMessage is what a WebSocket client receives: an answer or a
// notification.
type wsMessage struct {
	raw       []byte
	RequestID string          `json:"requestId"`
	Room      *string         `json:"room"`
	Status    int             `json:"status"`
	Type      string          `json:"type"`
	Action    string          `json:"action"`
	Scope     string          `json:"scope"`
	Result    json.RawMessage `json:"result"`
	P         int             `json:"p"`
	Error     *struct {
		ID string `json:"id"`
	} `json:"error"`
}

func dialWS(t *testing.T, srv *testServer) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws://"+srv.node.HTTPAddr().String()+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadLimit(16 << 20)
	t.Cleanup(func() { _ = conn.CloseNow() })
	return &wsClient{t: t, conn: conn}
}

func (c *wsClient) send(frame string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, []byte(frame)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *wsClient) read() (*wsMessage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, data, err := c.conn.Read(ctx)
	if err != nil {
		return nil, err
	}
	m := &wsMessage{raw: data}
	if err := json.Unmarshal(data, m); err != nil {
		c.t.Fatalf("message is no JSON: %s", data)
	}
	return m, nil
}

func (c *wsClient) next() *wsMessage {
	c.t.Helper()
	m, err := c.read()
	if err != nil {
		c.t.Fatal(err)
	}
	return m
}

// call sends a request and returns its answer.
func (c *wsClient) call(frame string) *wsMessage {
	c.t.Helper()
	c.send(frame)
	m := c.next()
	if m.Room == nil || *m.Room != m.RequestID {
		c.t.Fatalf("an answer's room must be its requestId: %s", m.raw)
	}
	return m
}

func TestWebSocketRequests(t *testing.T) {
	srv := startServer(t, nil)
	c := dialWS(t, srv)
	m := c.call(`{"controller":"server","action":"now","requestId":"w1"}`)
	if m.RequestID != "w1" || m.Status != 200 || !strings.HasPrefix(string(m.Result), `{"now":`) {
		t.Fatalf("server:now: %s", m.raw)
	}
	c.send(`{"p":1}`)
	if m := c.next(); string(m.raw) != `{"p":2}` {
		t.Fatalf("ping: %s", m.raw)
	}
	c.send(`{"controller":`)
	if m := c.next(); m.Error == nil || m.Error.ID != "network.websocket.unexpected_error" || m.Status != 400 || m.Room != nil {
		t.Fatalf("not JSON: %s", m.raw)
	}
	m = c.call(`{"controller":"server","action":"metrics","requestId":"m"}`)
	var metrics struct {
		Network struct {
			Connections map[string]int `json:"connections"`
		} `json:"network"`
	}
	if err := json.Unmarshal(m.Result, &metrics); err != nil || metrics.Network.Connections["websocket"] != 1 {
		t.Fatalf("server:metrics must count the WebSocket connection: %s", m.raw)
	}
	m = c.call(`{"controller":"document","action":"get","index":"nope","collection":"c","_id":"x","requestId":"w2"}`)
	if m.Status != 412 || m.Error == nil || m.Error.ID != "services.storage.unknown_index" {
		t.Fatalf("error answer: %s", m.raw)
	}
}

func TestWebSocketFrameTooBig(t *testing.T) {
	srv := startServer(t, func(cfg *config.Config) { cfg.Server.MaxRequestSize = 1024 })
	c := dialWS(t, srv)
	c.send(`{"controller":"server","action":"now","pad":"` + strings.Repeat("x", 2048) + `"}`)
	_, err := c.read()
	if websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Fatalf("an oversized frame must close the socket with 1009, got %v", err)
	}
}

func TestWebSocketNotifications(t *testing.T) {
	srv := startServer(t, nil)
	c := dialWS(t, srv)
	c.call(`{"controller":"index","action":"create","index":"zoo","requestId":"i"}`)
	c.call(`{"controller":"collection","action":"create","index":"zoo","collection":"cats","requestId":"c"}`)
	m := c.call(`{"controller":"realtime","action":"subscribe","index":"zoo","collection":"cats","body":{},"requestId":"s","scope":"all"}`)
	var sub struct {
		Channel string `json:"channel"`
		RoomID  string `json:"roomId"`
	}
	if err := json.Unmarshal(m.Result, &sub); err != nil || m.Status != 200 || sub.Channel == "" {
		t.Fatalf("subscribe: %s", m.raw)
	}
	other := dialWS(t, srv)
	other.call(`{"controller":"document","action":"create","index":"zoo","collection":"cats","_id":"tom","body":{"name":"tom"},"requestId":"d1"}`)
	n := c.next()
	if n.Room == nil || *n.Room != sub.Channel || n.Type != "document" || n.Action != "create" || n.Scope != "in" ||
		!strings.Contains(string(n.Result), `"_id":"tom"`) {
		t.Fatalf("notification: %s", n.raw)
	}
	other.call(`{"controller":"document","action":"delete","index":"zoo","collection":"cats","_id":"tom","requestId":"d2"}`)
	if n := c.next(); n.Room == nil || *n.Room != sub.Channel || n.Action != "delete" || n.Scope != "out" {
		t.Fatalf("delete notification: %s", n.raw)
	}
	// A client that goes leaves its rooms.
	_ = c.conn.Close(websocket.StatusNormalClosure, "")
	count := `{"controller":"realtime","action":"count","body":{"roomId":"` + sub.RoomID + `"},"requestId":"n"}`
	deadline := time.Now().Add(wait)
	for {
		m := other.call(count)
		if m.Status == 404 || string(m.Result) == `{"count":0}` {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the room outlived its only client: %s", m.raw)
		}
		time.Sleep(10 * time.Millisecond) // polling the room: no event tells a test it emptied
	}
}

// TestWebSocketIdleTimeout: a client that sends nothing for the idle
// timeout is disconnected.
func TestWebSocketIdleTimeout(t *testing.T) {
	srv := startServer(t, func(cfg *config.Config) { cfg.Server.WebSocket.IdleTimeout = 200 * time.Millisecond })
	c := dialWS(t, srv)
	start := time.Now()
	if _, err := c.read(); err == nil || time.Since(start) >= wait {
		t.Fatalf("an idle client must be disconnected, got %v", err)
	}
}
