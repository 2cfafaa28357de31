//go:build unix

package mqtt

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
)

// sockConn is an accepted TCP connection whose reads and writes are made
// with raw system calls on its non-blocking socket, through the runtime's
// poller: a call that would block (EAGAIN) parks the goroutine until the
// socket is ready, as net.TCPConn does, and deadlines and Close behave the
// same.
//
// The difference is what happens around each call. A system call made the
// usual way tells the scheduler it may block; the first such call after the
// process was idle wakes the runtime's monitor thread, which then polls
// every 20 µs for a while. A server that answers one small packet at a time
// and idles in between pays that wake-up on nearly every packet. A call on
// a non-blocking socket never blocks, so it needs none of that.
//
// Everything else (addresses, deadlines) is the embedded TCPConn's; Close
// first waits for a direct write in progress (see fd).
type sockConn struct {
	*net.TCPConn
	raw syscall.RawConn

	rmu sync.Mutex // one Read at a time uses rd
	rd  sockOp
	wmu sync.Mutex // one write at a time uses wr
	wr  sockOp

	// fd is the socket, written to directly by tryWrite while fdMu is read
	// locked; Close write locks it, so the number is never used once closed
	// (and perhaps reused by another connection).
	fd     uintptr
	fdMu   sync.RWMutex
	closed bool
}

// sockOp is the state of one read or write in progress. Its methods are
// bound once, so that a call allocates no closure.
type sockOp struct {
	buf   []byte
	n     int
	errno syscall.Errno
	read  func(fd uintptr) bool // reads buf; false on EAGAIN: wait and retry
	fresh func(fd uintptr) bool // reads into a buffer from pool; false on EAGAIN
	pool  *sync.Pool
	taken *[]byte               // the buffer fresh read into
	write func(fd uintptr) bool // writes buf; false on EAGAIN: wait and retry
}

// wrapConn returns c as a sockConn when it is a TCP connection.
func wrapConn(c net.Conn) net.Conn {
	tcp, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	raw, err := tcp.SyscallConn()
	if err != nil {
		return c
	}
	s := &sockConn{TCPConn: tcp, raw: raw}
	if raw.Control(func(fd uintptr) { s.fd = fd }) != nil {
		return c
	}
	s.rd.read = s.rd.doRead
	s.rd.fresh = s.rd.doFresh
	s.wr.write = s.wr.doWrite
	return s
}

func (op *sockOp) doRead(fd uintptr) bool {
	op.n, op.errno = rawRead(fd, op.buf)
	return op.errno != syscall.EAGAIN
}

// doFresh takes a buffer only once the socket has bytes for it: a
// connection waiting for its next packet holds none.
func (op *sockOp) doFresh(fd uintptr) bool {
	buf := op.pool.Get().(*[]byte)
	op.n, op.errno = rawRead(fd, *buf)
	if op.errno == syscall.EAGAIN {
		op.pool.Put(buf)
		return false
	}
	op.taken = buf
	return true
}

func (op *sockOp) doWrite(fd uintptr) bool {
	op.n, op.errno = rawWrite(fd, op.buf)
	return op.errno != syscall.EAGAIN
}

// Read reads what the socket holds, waiting until it holds something.
func (s *sockConn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	s.rmu.Lock()
	defer s.rmu.Unlock()
	s.rd.buf = b
	err := s.raw.Read(s.rd.read)
	n, errno := s.rd.n, s.rd.errno
	s.rd.buf = nil
	switch {
	case err != nil:
		return 0, s.opError("read", err)
	case errno != 0:
		return 0, s.opError("read", os.NewSyscallError("read", errno))
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// readFresh waits until the socket holds bytes, then reads them into a
// buffer from pool, which the caller puts back.
func (s *sockConn) readFresh(pool *sync.Pool) (*[]byte, int, error) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	s.rd.pool = pool
	err := s.raw.Read(s.rd.fresh)
	buf, n, errno := s.rd.taken, s.rd.n, s.rd.errno
	s.rd.taken, s.rd.pool = nil, nil
	switch {
	case err == nil && errno == 0 && n > 0:
		return buf, n, nil
	case buf != nil:
		pool.Put(buf)
	}
	switch {
	case err != nil:
		return nil, 0, s.opError("read", err)
	case errno != 0:
		return nil, 0, s.opError("read", os.NewSyscallError("read", errno))
	}
	return nil, 0, io.EOF
}

// Write writes all of b, waiting while the socket is full.
func (s *sockConn) Write(b []byte) (int, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	written := 0
	for written < len(b) {
		s.wr.buf = b[written:]
		err := s.raw.Write(s.wr.write)
		n, errno := s.wr.n, s.wr.errno
		s.wr.buf = nil
		switch {
		case err != nil:
			return written, s.opError("write", err)
		case errno != 0:
			return written, s.opError("write", os.NewSyscallError("write", errno))
		}
		written += n
	}
	return written, nil
}

// tryWrite writes what the socket takes now, without waiting, and returns
// how much that was; a full socket takes nothing and is no error. It
// writes to the socket directly, not through the poller: there is nothing
// to wait for.
func (s *sockConn) tryWrite(b []byte) (int, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.fdMu.RLock()
	if s.closed {
		s.fdMu.RUnlock()
		return 0, s.opError("write", net.ErrClosed)
	}
	n, errno := rawWrite(s.fd, b)
	s.fdMu.RUnlock()
	switch {
	case errno == syscall.EAGAIN:
		return 0, nil
	case errno != 0:
		return 0, s.opError("write", os.NewSyscallError("write", errno))
	}
	return n, nil
}

// Close closes the connection once no direct write uses its socket.
func (s *sockConn) Close() error {
	s.fdMu.Lock()
	s.closed = true
	s.fdMu.Unlock()
	return s.TCPConn.Close()
}

// writeBuffers writes every buffer with vectored writes, waiting while the
// socket is full; it goes through the runtime's usual path, being the one
// taken when the socket is already backed up.
func (s *sockConn) writeBuffers(bufs *net.Buffers) (int64, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return bufs.WriteTo(s.TCPConn)
}

// opError reports a failed call the way net.TCPConn does.
func (s *sockConn) opError(op string, err error) error {
	if oe, ok := err.(*net.OpError); ok { // from the poller: closed, deadline
		oe.Op = op
		return oe
	}
	return &net.OpError{Op: op, Net: "tcp", Source: s.LocalAddr(), Addr: s.RemoteAddr(), Err: err}
}
