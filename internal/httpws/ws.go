package httpws

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// Close codes, as Kuzzle closes sockets.
const (
	closeGoingAway = websocket.StatusGoingAway
	closeForced    = websocket.StatusInternalError // Kuzzle's forced termination, 1011
)

// RawJSON is the ProtocolVersion of a Client: its channels hand it the
// notification JSON, with its "room", instead of an MQTT packet.
const RawJSON byte = 0

// isUpgrade reports whether r asks for a WebSocket.
func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// Client is one WebSocket client. Deliver and Respond are safe for
// concurrent use and never block: messages wait in a bounded queue that
// one goroutine writes.
type Client struct {
	srv    *Server
	conn   *websocket.Conn
	remote string
	wake   chan struct{}
	done   chan struct{}
	mu     sync.Mutex
	queue  [][]byte
	bytes  int
	closed bool
}

// Remote returns the client's network address.
func (c *Client) Remote() string { return c.remote }

// ProtocolVersion returns RawJSON.
func (c *Client) ProtocolVersion() byte { return RawJSON }

// Deliver queues a copy of one message (a notification with its room);
// false when the client is gone, or was just disconnected for falling
// behind.
func (c *Client) Deliver(message []byte) bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	if len(c.queue) >= c.srv.cfg.MaxPendingMessages || c.bytes+len(message) > c.srv.cfg.MaxPendingBytes {
		c.mu.Unlock()
		c.srv.log.Info("WebSocket client too slow: disconnecting it", "remote", c.remote)
		c.close(closeForced, "too much backpressure: client is too slow")
		return false
	}
	c.queue = append(c.queue, bytes.Clone(message))
	c.bytes += len(message)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return true
}

// Respond queues the answer to one of the client's requests, with its
// "room": the requestId, as Kuzzle sends it.
func (c *Client) Respond(answer []byte) error {
	var head struct {
		RequestID string `json:"requestId"`
	}
	if len(answer) > 1 && answer[len(answer)-1] == '}' && jsonx.Unmarshal(answer, &head) == nil {
		out := make([]byte, 0, len(answer)+len(head.RequestID)+12)
		out = append(out, answer[:len(answer)-1]...)
		out = append(out, `,"room":`...)
		out = jsonx.AppendString(out, head.RequestID)
		answer = append(out, '}')
	}
	c.Deliver(answer)
	return nil
}

// close ends the connection once, without waiting for the peer.
func (c *Client) close(code websocket.StatusCode, reason string) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.queue, c.bytes = nil, 0
	c.mu.Unlock()
	close(c.done)
	go func() { _ = c.conn.Close(code, reason) }()
}

// serveWebSocket upgrades r and runs the client until it goes.
func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		InsecureSkipVerify: true, // Kuzzle accepts every origin
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		s.log.Debug("WebSocket upgrade failed", "remote", r.RemoteAddr, "error", err)
		return
	}
	conn.SetReadLimit(int64(s.cfg.MaxRequestSize))
	c := &Client{srv: s, conn: conn, remote: r.RemoteAddr, wake: make(chan struct{}, 1), done: make(chan struct{})}
	if !s.track(c) {
		_ = conn.CloseNow()
		return
	}
	defer s.untrack(c)
	session := s.handler.OpenWebSocket(c)
	go c.writeLoop()
	c.readLoop(session)
	c.close(websocket.StatusNormalClosure, "")
	session.Closed()
}

// readLoop runs each frame as a request until the socket closes or stays
// idle for IdleTimeout.
func (c *Client) readLoop(session Session) {
	// One context for every read, cancelled by a timer each message
	// rearms: a context and a timer per message would cost more than the
	// read of a small request.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	idle := time.AfterFunc(c.srv.cfg.IdleTimeout, cancel)
	defer idle.Stop()
	for {
		_, data, err := c.conn.Read(ctx)
		if err == nil && !idle.Reset(c.srv.cfg.IdleTimeout) {
			err = context.Canceled // the idle timeout fired as the message came
		}
		if err != nil {
			c.srv.log.Debug("WebSocket client gone", "remote", c.remote, "error", err)
			return
		}
		if len(data) == 0 {
			continue
		}
		if !jsonx.Valid(data) {
			var v any
			msg := jsonx.Unmarshal(data, &v).Error()
			c.Deliver(c.srv.envelope(api.NewID(), nil, kerror.New("network.websocket.unexpected_error", msg)))
			continue
		}
		if isPing(data) {
			c.Deliver([]byte(`{"p":2}`))
			continue
		}
		session.Request(data, c)
	}
}

// isPing reports whether a frame is Kuzzle's application ping, {"p":1}.
func isPing(data []byte) bool {
	if len(data) > 64 || !bytes.Contains(data, []byte(`"p"`)) {
		return false
	}
	var m map[string]jsonx.RawMessage
	return jsonx.Unmarshal(data, &m) == nil && len(m) == 1 && string(m["p"]) == "1"
}

// writeLoop writes the queued messages, each within WriteTimeout.
func (c *Client) writeLoop() {
	for {
		select {
		case <-c.done:
			return
		case <-c.wake:
		}
		c.mu.Lock()
		batch := c.queue
		c.queue, c.bytes = nil, 0
		c.mu.Unlock()
		for _, msg := range batch {
			ctx, cancel := context.WithTimeout(context.Background(), c.srv.cfg.WriteTimeout)
			err := c.conn.Write(ctx, websocket.MessageText, msg)
			cancel()
			if err != nil {
				c.close(closeForced, "write failed")
				return
			}
		}
	}
}
