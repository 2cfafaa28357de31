package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/starlingmq/starling/bench/internal/hist"
	"github.com/starlingmq/starling/bench/internal/mqttc"
)

// docPhase is one phase of the documents scenario on Starling: Kuzzle
// requests sent on every connection with Window of them unanswered per
// connection, until Count requests or Duration.
type docPhase struct {
	Window   int           // requests in flight per connection
	Count    int           // requests in all
	Duration time.Duration // 0: until Count
	// Build appends request seq (0 ≤ seq < Count) with the given requestId.
	Build func(dst []byte, seq int, requestID string) []byte
	// Units is the operations per request (documents of a batch); 0 is 1.
	Units int
	// Check says whether a response is a success; nil: status 200.
	Check func(resp []byte) bool
}

// docLoad is the figures of a phase: responses, failures, latencies.
type docLoad struct {
	sent, got, failed atomic.Int64
	lat               hist.Histogram
	first, last       time.Time
	firstError        string
}

// runDocPhase runs ph on conns; each connection has a sender and a reader.
func runDocPhase(ctx context.Context, conns []*mqttc.Conn, ph docPhase) (*docLoad, error) {
	var next atomic.Int64
	load := &docLoad{first: time.Now()}
	deadline := time.Time{}
	if ph.Duration > 0 {
		deadline = load.first.Add(ph.Duration)
	}
	results := make([]*connLoad, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		_ = c.SetReadDeadline(time.Time{}) // the previous phase's stop
		cl := newConnLoad(c, ph.Window)
		results[i] = cl
		wg.Go(func() { cl.read(ph.Check) })
		wg.Go(func() { cl.send(ctx, ph, &next, deadline) })
	}
	wg.Wait()
	var errs []error
	for _, cl := range results {
		load.sent.Add(cl.sent)
		load.got.Add(cl.got)
		load.failed.Add(cl.failed)
		load.lat.Merge(&cl.lat)
		if cl.last.After(load.last) {
			load.last = cl.last
		}
		if load.firstError == "" {
			load.firstError = cl.firstError
		}
		if cl.err != nil {
			errs = append(errs, cl.err)
		}
	}
	return load, errors.Join(errs...)
}

// connLoad is one connection's side of a phase.
type connLoad struct {
	c      *mqttc.Conn
	free   chan int       // slots of requests in flight
	sentAt []atomic.Int64 // per slot: send time, UnixNano
	done   chan struct{}  // closed by the reader once every slot is back after the sender ended
	ended  atomic.Bool    // the sender has sent its last request
	inUse  atomic.Int64   // slots taken
	lat    hist.Histogram // reader's
	last   time.Time      // reader's: time of the latest response
	err    error          // the sender's or the reader's
	errMu  sync.Mutex     //
	sent   int64          // sender's
	got    int64          // reader's
	failed int64          // reader's
	// firstError is the first failed response, for the report.
	firstError string
}

func newConnLoad(c *mqttc.Conn, window int) *connLoad {
	cl := &connLoad{c: c, free: make(chan int, window), sentAt: make([]atomic.Int64, window), done: make(chan struct{})}
	for i := range window {
		cl.free <- i
	}
	return cl
}

func (cl *connLoad) setErr(err error) {
	cl.errMu.Lock()
	if cl.err == nil {
		cl.err = err
	}
	cl.errMu.Unlock()
}

// send publishes requests while slots are free, then waits for the reader
// to have every answer (or drainTimeout) and stops it.
func (cl *connLoad) send(ctx context.Context, ph docPhase, next *atomic.Int64, deadline time.Time) {
	var buf []byte
	for {
		var slot int
		select {
		case slot = <-cl.free:
		case <-ctx.Done():
			cl.setErr(ctx.Err())
			cl.stop()
			return
		}
		seq := int(next.Add(1)) - 1
		if seq >= ph.Count || (!deadline.IsZero() && time.Now().After(deadline)) {
			cl.free <- slot
			break
		}
		cl.inUse.Add(1)
		buf = ph.Build(buf[:0], seq, "s"+strconv.Itoa(slot))
		cl.sentAt[slot].Store(time.Now().UnixNano())
		if err := cl.c.Publish(requestTopic, buf); err != nil {
			cl.setErr(err)
			cl.stop()
			return
		}
		cl.sent++
	}
	cl.ended.Store(true)
	if cl.inUse.Load() == 0 {
		cl.stop()
		return
	}
	timer := time.NewTimer(drainTimeout)
	defer timer.Stop()
	select {
	case <-cl.done:
	case <-timer.C:
		cl.setErr(fmt.Errorf("%d responses missing after %s", cl.inUse.Load(), drainTimeout))
	}
	cl.stop()
}

// drainTimeout bounds the wait for the last responses of a phase.
const drainTimeout = 30 * time.Second

// stop ends the reader's blocking read.
func (cl *connLoad) stop() { _ = cl.c.SetReadDeadline(time.Now()) }

// read records responses until stopped; it tells the sender when the last
// one is in.
func (cl *connLoad) read(check func([]byte) bool) {
	for {
		topic, p, err := cl.c.ReadPublish()
		if errors.Is(err, mqttc.ErrMalformedPublish) {
			continue
		}
		if err != nil {
			if !cl.ended.Load() || cl.inUse.Load() > 0 {
				cl.setErr(fmt.Errorf("read: %w", err))
			}
			return
		}
		if string(topic) != responseTopic {
			continue
		}
		id := stringField(p, "requestId")
		slot, err := strconv.Atoi(id[min(1, len(id)):])
		if err != nil || slot < 0 || slot >= len(cl.sentAt) {
			cl.failed++
			continue
		}
		now := time.Now()
		cl.lat.Record(time.Duration(now.UnixNano() - cl.sentAt[slot].Load()))
		cl.last = now
		cl.got++
		if (check != nil && !check(p)) || (check == nil && !ok(p)) {
			cl.failed++
			if cl.firstError == "" {
				cl.firstError = string(bytes.Clone(p[:min(len(p), 400)]))
			}
		}
		cl.free <- slot
		if cl.inUse.Add(-1) == 0 && cl.ended.Load() {
			close(cl.done)
			return
		}
	}
}
