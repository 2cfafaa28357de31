package mqtt

import (
	"net"
	"time"
)

// connectTimeout is how long a new TCP connection may take to send its
// CONNECT packet. mochi waits for it without a deadline, which would let a
// silent socket hold a goroutine, and the server's shutdown, forever. mochi
// replaces the deadline with the keepalive one once the client is connected.
const connectTimeout = 5 * time.Second

// connectDeadlineListener sets connectTimeout on every accepted connection
// and hands it over as a sockConn.
type connectDeadlineListener struct {
	net.Listener
}

// Accept waits for the next connection and arms its CONNECT deadline.
// A connection that refuses a deadline is dropped and the next one awaited:
// an error would stop the listener.
func (l connectDeadlineListener) Accept() (net.Conn, error) {
	for {
		conn, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if err := conn.SetDeadline(time.Now().Add(connectTimeout)); err == nil {
			return wrapConn(conn), nil
		}
		conn.Close()
	}
}
