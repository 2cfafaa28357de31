package mqtt

import (
	"bytes"
	"net"
	"sync"

	"github.com/mochi-mqtt/server/v2/packets"
)

// outbox is one client's bounded queue of encoded packets: its answers and
// its realtime notifications. A packet is written at once when the socket
// takes it; otherwise a writer goroutine, started only while there is
// something to write, drains the queue in batches with one vectored write,
// so a burst costs one system call rather than one per packet.
//
// Overflow policy: a client whose queue is full cannot keep up; it is
// disconnected (as NATS does with slow consumers) rather than silently
// losing notifications or slowing the channels that feed it.
type outbox struct {
	peer    *Peer
	limit   int
	mu      sync.Mutex
	queue   [][]byte
	spare   [][]byte
	writing bool
	closed  bool
}

// deliver sends one encoded packet, or queues a copy of it: the caller may
// reuse packet as soon as deliver returns. It returns false when the client
// is gone, or was just disconnected for falling behind. When nothing is
// queued it first tries a non-blocking write on the caller's goroutine: a
// client that keeps up costs one system call, no goroutine hand-off and no
// copy.
func (o *outbox) deliver(packet []byte) bool {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return false
	}
	if o.writing {
		return o.enqueue(packet) // unlocks
	}
	o.writing = true // this goroutine owns the socket until it says otherwise
	o.mu.Unlock()

	rest, err := o.peer.tryWrite(packet)
	if err != nil {
		o.close()
		return false
	}
	o.mu.Lock()
	if len(rest) > 0 {
		o.queue = append(o.queue, nil)
		copy(o.queue[1:], o.queue)
		o.queue[0] = bytes.Clone(rest)
	}
	if len(o.queue) == 0 {
		o.writing = false
		o.mu.Unlock()
		return true
	}
	o.mu.Unlock()
	go o.write() // the socket is full or others queued meanwhile
	return true
}

// enqueue appends a copy of a packet for the running writer, or disconnects
// a client whose queue is full. Called with o.mu held; it releases it.
func (o *outbox) enqueue(packet []byte) bool {
	if len(o.queue) >= o.limit {
		o.closed = true
		o.queue = nil
		o.mu.Unlock()
		o.peer.server.log.Warn("client too slow for its notifications: disconnecting",
			"client", o.peer.client.ID, "pending", o.limit)
		// No DISCONNECT packet: its socket is full, a write would block. Closing
		// the socket also frees a writer blocked on it.
		o.peer.client.Stop(packets.ErrQuotaExceeded)
		return false
	}
	o.queue = append(o.queue, bytes.Clone(packet))
	o.mu.Unlock()
	return true
}

// write drains the queue until it is empty.
func (o *outbox) write() {
	for {
		o.mu.Lock()
		batch := o.queue
		if len(batch) == 0 || o.closed {
			o.writing = false
			o.queue = nil
			o.mu.Unlock()
			return
		}
		o.queue, o.spare = o.spare[:0], nil
		o.mu.Unlock()

		if err := o.peer.writeRaw(batch); err != nil {
			o.close()
		}
		clear(batch)
		o.mu.Lock()
		o.spare = batch[:0]
		o.mu.Unlock()
	}
}

// close drops what is queued and refuses more.
func (o *outbox) close() {
	o.mu.Lock()
	o.closed = true
	o.queue = nil
	o.mu.Unlock()
}

// tryWrite writes what the socket takes now without waiting, under the
// client's lock, and returns the part left unwritten.
func (p *Peer) tryWrite(packet []byte) ([]byte, error) {
	cl := p.client
	if cl.Closed() || cl.Net.Conn == nil {
		return nil, ErrClientGone
	}
	if p.sock == nil { // not a socket: write through the blocking path
		return nil, p.writeRaw([][]byte{packet})
	}
	cl.Lock()
	n, err := p.sock.tryWrite(packet)
	cl.Unlock()
	if err != nil {
		return nil, err
	}
	return packet[n:], nil
}

// writeRaw writes already encoded packets to the client's socket, under
// the client's lock as mochi's own writes are.
func (p *Peer) writeRaw(batch [][]byte) error {
	cl := p.client
	if cl.Closed() || cl.Net.Conn == nil {
		return ErrClientGone
	}
	bufs := net.Buffers(batch)
	cl.Lock()
	defer cl.Unlock()
	var err error
	if p.sock != nil {
		_, err = p.sock.writeBuffers(&bufs)
	} else {
		_, err = bufs.WriteTo(cl.Net.Conn)
	}
	return err
}
