package mqtt

import (
	"bytes"
	"net"
	"sync"
	"time"
)

// outbox is one client's bounded queue of encoded packets: its answers,
// notifications, acknowledgements and plain publishes all pass through it,
// so every packet obeys the same bounds. A packet is written at once when
// the socket takes it; otherwise a writer goroutine, started only while
// there is something to write, drains the queue in batches with one
// vectored write per batch, each under the write timeout.
//
// While the read goroutine handles the packets of one read, the outbox is
// corked: what is delivered meanwhile (the answers of the requests it
// runs itself, acknowledgements) waits and is written with one system call
// once the read is handled, or as soon as corkPackets or corkBytes wait.
//
// Overflow policy: a client whose queue passes MaxPendingPackets or
// MaxPendingBytes, or whose packet would take every client's queues past
// MaxTotalPendingBytes, cannot keep up: it is disconnected (as NATS does
// with slow consumers) rather than silently losing packets or slowing the
// channels that feed it. A write that waits past WriteTimeout disconnects
// the client too.
type outbox struct {
	conn    *Conn
	mu      sync.Mutex
	queue   [][]byte
	spare   [][]byte
	bytes   int  // bytes in queue
	writing bool // a goroutine owns the socket's write side
	corked  bool // the read goroutine handles a read: packets wait for uncork
	// held is what waits for uncork, packets end to end (a buffer of the
	// server's pool while it holds any), counted in bytes; heldPackets
	// counts them. Only while no goroutine writes.
	held        *[]byte
	heldPackets int
	closed      bool
	drain       bool  // close once the queue is written
	why         error // the cause the drained connection closes with
}

// Bounds of what waits while the outbox is corked.
const (
	corkPackets = 64
	corkBytes   = 64 << 10
)

// deliver sends one encoded packet, or queues a copy of it: the caller may
// reuse packet as soon as deliver returns. It returns false when the client
// is gone, or was just disconnected for falling behind. When nothing is
// queued it first tries a non-blocking write on the caller's goroutine: a
// client that keeps up costs one system call, no hand-off and no copy.
func (o *outbox) deliver(packet []byte) bool { return o.send(packet, true) }

// deliverNow is deliver for a packet the connection closes after (a
// DISCONNECT): it and what waits for uncork are written at once.
func (o *outbox) deliverNow(packet []byte) bool { return o.send(packet, false) }

// send is deliver; a corkable packet waits while the outbox is corked.
func (o *outbox) send(packet []byte, corkable bool) bool {
	o.mu.Lock()
	switch {
	case o.closed || o.drain:
		o.mu.Unlock()
		return false
	case o.writing:
		return o.enqueue(packet) // unlocks
	case corkable && o.corked && o.heldPackets < corkPackets && o.bytes+len(packet) <= corkBytes && o.reserve(len(packet)):
		if o.held == nil {
			o.held = o.conn.srv.corks.Get().(*[]byte)
		}
		*o.held = append(*o.held, packet...)
		o.heldPackets++
		o.bytes += len(packet)
		o.mu.Unlock()
		return true
	case o.held != nil:
		return o.flush(packet) // unlocks
	}
	o.writing = true // this goroutine owns the socket until it says otherwise
	o.mu.Unlock()
	return o.own(packet)
}

// cork holds what is delivered until uncork. Called by the read goroutine.
func (o *outbox) cork() {
	o.mu.Lock()
	o.corked = true
	o.mu.Unlock()
}

// uncork writes what waited since cork. Called by the read goroutine.
func (o *outbox) uncork() {
	o.mu.Lock()
	o.corked = false
	if o.writing || o.closed || o.held == nil {
		o.mu.Unlock()
		return
	}
	o.flush(nil) // unlocks
}

// flush writes what is held, then extra, from the caller's goroutine.
// Called with o.mu held, no goroutine writing and something held; it
// releases the lock.
func (o *outbox) flush(extra []byte) bool {
	o.writing = true
	held := o.held
	run := append(*held, extra...)
	released := o.bytes
	o.held, o.heldPackets, o.bytes = nil, 0, 0
	o.mu.Unlock()
	o.conn.srv.queued.Add(-int64(released))
	ok := o.own(run) // keeps no reference to run
	if cap(run) <= maxPooledPacket*4 {
		*held = run[:0]
		o.conn.srv.corks.Put(held)
	}
	return ok
}

// own writes packet from the goroutine that owns the socket's write side,
// then hands what is left, and what others queued meanwhile, to a writer
// goroutine, or gives the write side up.
func (o *outbox) own(packet []byte) bool {
	rest, err := o.conn.tryWrite(packet)
	if err != nil {
		o.conn.close(causeWrite)
		return false
	}
	o.mu.Lock()
	if len(rest) > 0 {
		if !o.reserve(len(rest)) {
			o.writing = false
			return o.overflow(causeTotal) // unlocks
		}
		o.queue = append(o.queue, nil)
		copy(o.queue[1:], o.queue)
		o.queue[0] = bytes.Clone(rest)
		o.bytes += len(rest)
	}
	if len(o.queue) == 0 {
		o.writing = false
		drain, why := o.drain && !o.closed, o.why
		o.mu.Unlock()
		if drain {
			o.conn.close(why)
		}
		return true
	}
	o.mu.Unlock()
	go o.write() // the socket is full or others queued meanwhile
	return true
}

// enqueue appends a copy of a packet for the running writer, or
// disconnects a client whose queue is full. Called with o.mu held; it
// releases it.
func (o *outbox) enqueue(packet []byte) bool {
	cfg := &o.conn.srv.cfg
	if len(o.queue) >= cfg.MaxPendingPackets || o.bytes+len(packet) > cfg.MaxPendingBytes {
		return o.overflow(causeSlow)
	}
	if !o.reserve(len(packet)) {
		return o.overflow(causeTotal)
	}
	o.queue = append(o.queue, bytes.Clone(packet))
	o.bytes += len(packet)
	o.mu.Unlock()
	return true
}

// reserve counts n more bytes in every client's queues, unless that passes
// MaxTotalPendingBytes.
func (o *outbox) reserve(n int) bool {
	s := o.conn.srv
	if s.queued.Add(int64(n)) > int64(s.cfg.MaxTotalPendingBytes) {
		s.queued.Add(-int64(n))
		return false
	}
	return true
}

// overflow disconnects a client that fell behind. Called with o.mu held;
// it releases it.
func (o *outbox) overflow(cause error) bool {
	pending, size := len(o.queue), o.bytes
	o.dropLocked()
	o.mu.Unlock()
	s := o.conn.srv
	if cause == causeTotal {
		s.stats.totalFull.Add(1)
	} else {
		s.stats.slow.Add(1)
	}
	s.log.Warn("client cannot keep up with its packets: disconnecting",
		"client", o.conn.id, "remote", o.conn.remote, "reason", cause.Error(),
		"pendingPackets", pending, "pendingBytes", size)
	// No DISCONNECT packet: the socket is full. Closing it also frees a
	// writer blocked on it.
	o.conn.close(cause)
	return false
}

// write drains the queue until it is empty.
func (o *outbox) write() {
	for {
		o.mu.Lock()
		batch := o.queue
		if len(batch) == 0 || o.closed {
			o.writing = false
			drain, why := o.drain && !o.closed, o.why
			o.dropLocked()
			o.mu.Unlock()
			if drain {
				o.conn.close(why)
			}
			return
		}
		o.queue, o.spare = o.spare[:0], nil
		size := o.bytes
		o.bytes = 0
		o.mu.Unlock()

		err := o.conn.writeBatch(batch)
		o.conn.srv.queued.Add(-int64(size))
		clear(batch)
		if err != nil {
			o.conn.close(causeWrite)
		}
		o.mu.Lock()
		o.spare = batch[:0]
		o.mu.Unlock()
	}
}

// dropLocked forgets what is queued. Called with o.mu held.
func (o *outbox) dropLocked() {
	if o.bytes > 0 {
		o.conn.srv.queued.Add(-int64(o.bytes))
	}
	o.queue, o.spare, o.bytes = nil, nil, 0
	o.held, o.heldPackets = nil, 0
}

// backlogged reports whether packets wait for the socket.
func (o *outbox) backlogged() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.writing && len(o.queue) > 0
}

// close drops what is queued and refuses more.
func (o *outbox) close() {
	o.mu.Lock()
	o.closed = true
	o.dropLocked()
	o.mu.Unlock()
}

// closeWhenDrained refuses more packets and closes the connection once
// what is queued is written (at once when nothing is).
func (o *outbox) closeWhenDrained(why error) {
	o.mu.Lock()
	o.drain, o.why = true, why
	idle := !o.writing && o.held == nil // else the writer or uncork closes
	o.mu.Unlock()
	if idle {
		o.conn.close(why)
	}
}

// tryWrite writes what the socket takes now without waiting, and returns
// the part left unwritten.
func (c *Conn) tryWrite(packet []byte) ([]byte, error) {
	if c.direct == nil {
		// Not a socket whose readiness is known (TLS, a WebSocket
		// stream): all of it is left for the writer goroutine, so that a
		// client whose socket is full never holds up the caller (a
		// channel fanning a notification out).
		return packet, nil
	}
	n, err := c.direct.tryWrite(packet)
	if err != nil {
		return nil, err
	}
	return packet[n:], nil
}

// writeBatch writes encoded packets, waiting at most WriteTimeout.
func (c *Conn) writeBatch(batch [][]byte) error {
	bufs := net.Buffers(batch)
	if err := c.sock.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteTimeout)); err != nil {
		return err
	}
	if c.direct != nil {
		_, err := c.direct.writeBuffers(&bufs)
		return err
	}
	return c.writeJoined(batch)
}

// joinedSize is the most bytes writeJoined hands to one Write.
const joinedSize = 64 << 10

// writeJoined writes packets through an ordinary connection (TLS) in
// writes of up to joinedSize bytes: one Write per packet would make one
// TLS record and one system call of each.
func (c *Conn) writeJoined(batch [][]byte) error {
	if len(batch) == 1 {
		_, err := c.sock.Write(batch[0])
		return err
	}
	pooled := c.srv.corks.Get().(*[]byte)
	buf := (*pooled)[:0]
	var err error
	for i, p := range batch {
		buf = append(buf, p...)
		if len(buf) >= joinedSize || i == len(batch)-1 {
			if _, err = c.sock.Write(buf); err != nil {
				break
			}
			buf = buf[:0]
		}
	}
	if cap(buf) <= maxPooledPacket*4 {
		*pooled = buf[:0]
		c.srv.corks.Put(pooled)
	}
	return err
}

// directConn is a client connection written to without the runtime's
// blocking path when it can be: a sockConn.
type directConn interface {
	// tryWrite writes what the socket takes without waiting.
	tryWrite(b []byte) (int, error)
	// writeBuffers writes every buffer, waiting while the socket is full.
	writeBuffers(bufs *net.Buffers) (int64, error)
}
