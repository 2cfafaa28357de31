package mqttws

import (
	"context"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// stream is a WebSocket seen as the byte stream its binary messages carry.
// It differs from websocket.NetConn in three ways the MQTT server relies
// on: Close never waits for the peer, a read past its deadline reports a
// timeout (net.Error), and the remote address is the client's.
type stream struct {
	net.Conn
	ws     *websocket.Conn
	remote addr
	// readBy is the read deadline in Unix nanoseconds, 0 for none.
	readBy atomic.Int64
}

// newStream adapts ws; no message may pass limit bytes.
func newStream(ws *websocket.Conn, remote string, limit int64) *stream {
	nc := websocket.NetConn(context.Background(), ws, websocket.MessageBinary)
	ws.SetReadLimit(limit) // after NetConn, which lifts the limit
	return &stream{Conn: nc, ws: ws, remote: addr(remote)}
}

// Read reads the stream; once the read deadline passed, its error is
// os.ErrDeadlineExceeded.
func (s *stream) Read(b []byte) (int, error) {
	n, err := s.Conn.Read(b)
	if err != nil {
		if by := s.readBy.Load(); by != 0 && time.Now().UnixNano() >= by {
			return n, os.ErrDeadlineExceeded
		}
	}
	return n, err
}

// SetReadDeadline sets the read deadline; a read still waiting at t fails
// and closes the WebSocket.
func (s *stream) SetReadDeadline(t time.Time) error {
	var by int64
	if !t.IsZero() {
		by = t.UnixNano()
	}
	s.readBy.Store(by)
	return s.Conn.SetReadDeadline(t)
}

// SetDeadline sets both deadlines.
func (s *stream) SetDeadline(t time.Time) error {
	_ = s.SetReadDeadline(t)
	return s.Conn.SetWriteDeadline(t)
}

// Close closes the TCP connection at once, without the closing handshake,
// which could wait on the peer: the MQTT server never waits on a client.
func (s *stream) Close() error {
	err := s.ws.CloseNow()
	_ = s.Conn.Close() // stops NetConn's timers; the socket is closed already
	return err
}

// RemoteAddr returns the client's address as the HTTP server saw it.
func (s *stream) RemoteAddr() net.Addr { return s.remote }

// addr is a client's address, "host:port".
type addr string

func (a addr) Network() string { return "websocket" }
func (a addr) String() string  { return string(a) }
