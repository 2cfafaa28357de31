package mqtt

import "sync"

// inflight counts one client's requests not answered yet, in number and
// bytes. The read goroutine waits in acquire while the client is past its
// bounds, so a client that floods requests is simply not read until its
// answers go out: the socket's back-pressure, nothing refused, nothing
// lost.
type inflight struct {
	mu     sync.Mutex
	count  int
	bytes  int
	wake   chan struct{} // closed by the next release; nil when nobody waits
	closed bool
}

// acquire counts one request of size bytes, waiting while maxCount or
// maxBytes would be passed and another request is in flight (a lone
// request always goes), and calling beforeWait (when not nil) before it
// waits. It returns false once the connection closed.
func (f *inflight) acquire(size, maxCount, maxBytes int, beforeWait func()) bool {
	f.mu.Lock()
	for !f.closed && f.count > 0 && (f.count >= maxCount || f.bytes+size > maxBytes) {
		if beforeWait != nil { // once, then look again
			f.mu.Unlock()
			beforeWait()
			beforeWait = nil
			f.mu.Lock()
			continue
		}
		if f.wake == nil {
			f.wake = make(chan struct{})
		}
		wake := f.wake
		f.mu.Unlock()
		<-wake
		f.mu.Lock()
	}
	ok := !f.closed
	if ok {
		f.count++
		f.bytes += size
	}
	f.mu.Unlock()
	return ok
}

// release uncounts an answered request and wakes a waiting reader.
func (f *inflight) release(size int) {
	f.mu.Lock()
	f.count--
	f.bytes -= size
	f.signal()
	f.mu.Unlock()
}

// close wakes the reader for good.
func (f *inflight) close() {
	f.mu.Lock()
	f.closed = true
	f.signal()
	f.mu.Unlock()
}

func (f *inflight) signal() {
	if f.wake != nil {
		close(f.wake)
		f.wake = nil
	}
}
