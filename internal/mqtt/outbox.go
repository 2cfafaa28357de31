package mqtt

import (
	"net"
	"sync"

	"github.com/mochi-mqtt/server/v2/packets"
)

// outbox is one client's bounded queue of encoded notifications. A writer
// goroutine, started only while there is something to write, drains it in
// batches with one vectored write, so a burst of notifications costs one
// system call rather than one each.
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

// deliver queues one encoded packet; false when the client is gone or was
// just disconnected for falling behind.
func (o *outbox) deliver(packet []byte) bool {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return false
	}
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
	o.queue = append(o.queue, packet)
	start := !o.writing
	o.writing = true
	o.mu.Unlock()
	if start {
		go o.write()
	}
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
	_, err := bufs.WriteTo(cl.Net.Conn)
	return err
}
