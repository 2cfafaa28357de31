package mqtt

import (
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"
)

// Conn is one client connection: a socket, the MQTT protocol state of its
// client, and its outbound queue. One goroutine reads it; answers,
// notifications and plain publishes are written by whoever delivers them,
// at once when the socket takes them, else through the bounded queue.
//
// An idle Conn holds no read buffer: its goroutine waits on the runtime's
// poller with nothing but its own small stack.
type Conn struct {
	srv    *Server
	sock   net.Conn
	direct directConn // sock, for direct writes; nil when it is no sockConn
	remote string

	// Set while the CONNECT is handled, read-only afterwards.
	id        string
	version   byte
	maxOut    int           // the client's Maximum Packet Size; 0: none
	keepalive time.Duration // silence allowed between packets; 0: forever
	session   Session
	will      *will
	identity  string // what Authenticate returned

	// Owned by the read goroutine.
	partial  []byte              // a packet split across reads
	qos2     map[uint16]struct{} // QoS 2 publishes awaiting PUBREL
	subs     map[string]struct{} // plain topic subscriptions
	graceful bool                // the client sent DISCONNECT
	deadline time.Time           // the read deadline last set

	out      outbox
	inflight inflight
	// connected is set once the CONNACK went out: the fields above it are
	// then written for good, and other goroutines may read them.
	connected atomic.Bool

	closeOnce sync.Once
	cause     atomic.Value // error: why the connection closed
}

// will is a client's last will, published if it goes without DISCONNECT.
type will struct {
	topic   string
	payload []byte
	retain  bool
}

// Reasons a connection closes, logged and kept as its cause.
var (
	causeTakenOver = errors.New("client id taken over by a new connection")
	causeShutdown  = errors.New("server shutting down")
	causeDeadline  = errors.New("server shut down before the client took its packets")
	causeSlow      = errors.New("client too slow: its queue is full")
	causeTotal     = errors.New("every client's queues together are full")
	causeWrite     = errors.New("write failed or timed out")
	causeForbidden = errors.New("forbidden publish")
	causeProtocol  = errors.New("protocol error")
	causeTooLarge  = errors.New("packet too large")
)

// ErrClientGone reports a delivery to a client whose connection is closed.
var ErrClientGone = errors.New("mqtt client connection closed")

func newConn(s *Server, nc net.Conn) *Conn {
	nc = wrapConn(nc)
	c := &Conn{srv: s, sock: nc, remote: nc.RemoteAddr().String()}
	c.direct, _ = nc.(directConn)
	c.out.conn = c
	return c
}

// ID returns the client identifier.
func (c *Conn) ID() string { return c.id }

// Remote returns the client's network address.
func (c *Conn) Remote() string { return c.remote }

// ProtocolVersion returns 3, 4 (MQTT 3.1.1) or 5.
func (c *Conn) ProtocolVersion() byte { return c.version }

// serve runs the connection until its socket closes.
func (c *Conn) serve() {
	defer c.srv.conns.Done()
	_ = c.sock.SetReadDeadline(time.Now().Add(c.srv.cfg.ConnectTimeout))
	err := c.readLoop()
	c.close(err)
	c.srv.forget(c)
	if c.session == nil {
		return // never connected
	}
	c.srv.router.unsubscribeAll(c)
	if c.will != nil && !c.graceful {
		c.srv.router.publishWill(c, c.will)
	}
	c.session.Closed()
	c.srv.log.Debug("MQTT client gone", "client", c.id, "remote", c.remote, "cause", c.Cause())
}

// readLoop reads packets and handles them in order until an error.
func (c *Conn) readLoop() error {
	for {
		buf, n, err := c.read()
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				return c.timedOut()
			}
			return err
		}
		c.out.cork()
		err = c.consume((*buf)[:n])
		c.out.uncork()
		c.srv.reads.Put(buf)
		if err != nil {
			return err
		}
		c.refreshDeadline()
	}
}

// errIdle closes a client that stayed silent past its keepalive or the
// idle timeout.
var errIdle = errors.New("keepalive or idle timeout")

// timedOut counts and logs a read deadline that passed, and tells an MQTT 5
// client why it is disconnected. It is a function of its own so that the
// read loop's stack frame stays small: every idle connection keeps that
// loop's stack.
//
//go:noinline
func (c *Conn) timedOut() error {
	c.srv.stats.idle.Add(1)
	if c.session == nil {
		c.srv.log.Info("no CONNECT in time: closing the connection",
			"remote", c.remote, "timeout", c.srv.cfg.ConnectTimeout)
		return errIdle
	}
	c.srv.log.Info("client silent past its keepalive or the idle timeout: closing the connection",
		"client", c.id, "remote", c.remote, "timeout", c.keepalive)
	c.sendDisconnect(packets.ErrKeepAliveTimeout.Code)
	return errIdle
}

// read waits for bytes and returns them in a pooled buffer, taken only
// once the socket is readable.
func (c *Conn) read() (*[]byte, int, error) {
	if fr, ok := c.sock.(freshReader); ok {
		return fr.readFresh(&c.srv.reads)
	}
	buf := c.srv.reads.Get().(*[]byte)
	n, err := c.sock.Read(*buf)
	if err != nil {
		c.srv.reads.Put(buf)
		return nil, 0, err
	}
	return buf, n, nil
}

// freshReader is a connection that reads into a pooled buffer taken only
// once bytes are there: a sockConn.
type freshReader interface {
	readFresh(pool *sync.Pool) (*[]byte, int, error)
}

// consume splits data into packets, joined with what a previous read left,
// and handles each complete one; it keeps an incomplete tail.
func (c *Conn) consume(data []byte) error {
	if len(c.partial) > 0 {
		c.partial = append(c.partial, data...)
		data = c.partial
	}
	for len(data) > 0 {
		fh, header, ok, err := c.fixedHeader(data)
		if err != nil {
			return err
		}
		if !ok || len(data) < header+fh.Remaining {
			if ok && cap(c.partial) < header+fh.Remaining && len(c.partial) == 0 {
				// Room for what the packet announces, up to a bound: a
				// client must send the bytes it makes the server hold.
				grown := make([]byte, 0, min(header+fh.Remaining, maxPrealloc))
				c.partial = append(grown, data...)
				return nil
			}
			break
		}
		if err := c.handle(fh, data[header:header+fh.Remaining]); err != nil {
			return err
		}
		data = data[header+fh.Remaining:]
	}
	c.keep(data)
	return nil
}

// keep stores an incomplete packet's bytes for the next read; no bytes
// left means no buffer held.
func (c *Conn) keep(tail []byte) {
	switch {
	case len(tail) == 0:
		c.partial = nil
	case len(c.partial) > 0 && &tail[0] == &c.partial[0]:
	case len(c.partial) > 0:
		c.partial = append(c.partial[:0], tail...) // tail lies further in partial
	default:
		c.partial = append(make([]byte, 0, len(tail)), tail...)
	}
}

// fixedHeader decodes the fixed header at the start of data: ok is false
// until it is complete. A packet over the size limit is an error.
func (c *Conn) fixedHeader(data []byte) (fh packets.FixedHeader, size int, ok bool, err error) {
	if err := fh.Decode(data[0]); err != nil {
		return fh, 0, false, c.protocolError(err)
	}
	remaining, shift := 0, 0
	for i := 1; i < len(data); i++ {
		if i > 4 {
			return fh, 0, false, c.protocolError(packets.ErrMalformedVariableByteInteger)
		}
		remaining |= int(data[i]&0x7f) << shift
		shift += 7
		if data[i]&0x80 == 0 {
			fh.Remaining = remaining
			if i+1+remaining > c.srv.cfg.MaxPacketSize {
				c.srv.stats.tooLarge.Add(1)
				c.srv.log.Info("packet over the size limit: closing the connection",
					"client", c.id, "remote", c.remote, "size", i+1+remaining, "limit", c.srv.cfg.MaxPacketSize)
				c.sendDisconnect(packets.ErrPacketTooLarge.Code)
				return fh, 0, false, causeTooLarge
			}
			return fh, i + 1, true, nil
		}
	}
	return fh, 0, false, nil
}

// maxPrealloc bounds the buffer reserved for a packet split across reads
// before its bytes arrive.
const maxPrealloc = 64 << 10

// refreshDeadline pushes the read deadline forward after packets arrived;
// it resets the timer only once an eighth of the timeout has gone by. Bytes
// of an unfinished packet do not count: MQTT's keepalive counts whole
// packets, so a client cannot hold a half-sent packet open by trickling it.
func (c *Conn) refreshDeadline() {
	if c.session == nil || c.keepalive == 0 || len(c.partial) > 0 {
		return
	}
	now := time.Now()
	if now.Sub(c.deadline) < c.keepalive/8 {
		return
	}
	c.deadline = now
	_ = c.sock.SetReadDeadline(now.Add(c.keepalive))
}

// protocolError logs a malformed packet and returns the cause that closes
// the connection; MQTT 5 clients get a DISCONNECT with the reason.
func (c *Conn) protocolError(err error) error {
	c.srv.log.Info("MQTT protocol error: closing the connection", "client", c.id, "remote", c.remote, "error", err)
	var code packets.Code
	if errors.As(err, &code) && code.Code >= 0x80 {
		c.sendDisconnect(code.Code)
	} else {
		c.sendDisconnect(packets.ErrMalformedPacket.Code)
	}
	return causeProtocol
}

// close closes the socket and drops what is queued, once; the read
// goroutine then ends the session. It never waits on the socket.
func (c *Conn) close(cause error) {
	c.closeOnce.Do(func() {
		if cause == nil {
			cause = ErrClientGone
		}
		// A client whose socket does not take its packets gets a reset, so
		// that what the socket holds is dropped at once rather than kept by
		// the kernel until it gives up.
		reset := c.out.backlogged() || stoppedReading(cause)
		c.cause.Store(cause)
		c.out.close()
		c.inflight.close()
		sock := c.sock
		if reset {
			// Under TLS, the socket itself: closing the TLS connection
			// would first write a close_notify the client does not read.
			sock = rawSocket(sock)
			if l, ok := sock.(interface{ SetLinger(int) error }); ok {
				_ = l.SetLinger(0)
			}
		}
		_ = sock.Close()
	})
}

// rawSocket returns the socket under a TLS connection, sock itself
// otherwise.
func rawSocket(sock net.Conn) net.Conn {
	if t, ok := sock.(*tls.Conn); ok {
		return t.NetConn()
	}
	return sock
}

// stoppedReading reports whether cause says the client stopped reading
// (its queue, already dropped, was full or its writes timed out).
func stoppedReading(cause error) bool {
	switch cause {
	case causeSlow, causeTotal, causeWrite, causeDeadline:
		return true
	}
	return false
}

// Cause returns why the connection closed, nil while it is open.
func (c *Conn) Cause() error {
	err, _ := c.cause.Load().(error)
	return err
}

// Identity is what the handler's Authenticate returned for the client's
// CONNECT ("" without an Authenticator, or for an anonymous client). Set
// before the session opens.
func (c *Conn) Identity() string { return c.identity }

// Closed reports whether the connection is closed.
func (c *Conn) Closed() bool { return c.Cause() != nil }

// Close disconnects the client: an MQTT 5 client gets DISCONNECT with the
// reason code (if its socket takes it at once), then the socket closes.
func (c *Conn) Close(reason byte) {
	c.sendDisconnect(reason)
	c.close(ErrClientGone)
}

// sendDisconnect writes an MQTT 5 DISCONNECT with reason, if the socket
// takes it at once; MQTT 3.1.1 has no server DISCONNECT.
func (c *Conn) sendDisconnect(reason byte) {
	if c.version == 5 {
		c.out.deliverNow([]byte{packets.Disconnect << 4, 1, reason})
	}
}

// takenOver ends a connection whose client id a new connection took: an
// MQTT 5 client is told so [MQTT-3.1.4-3], after what is already queued
// for it (the write deadline bounds the wait), then the socket closes.
func (c *Conn) takenOver() {
	c.sendDisconnect(packets.ErrSessionTakenOver.Code)
	c.out.closeWhenDrained(causeTakenOver)
}

// shutdown closes the connection once its queue is written.
func (c *Conn) shutdown() {
	if c.connected.Load() && c.version == 5 {
		c.out.deliverNow([]byte{packets.Disconnect << 4, 1, packets.ErrServerShuttingDown.Code})
	}
	c.out.closeWhenDrained(causeShutdown)
}
