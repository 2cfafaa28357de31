package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
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

// runDocPhase runs ph on conns, one goroutine per connection.
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
		cl := &connLoad{c: c, ph: ph, next: &next, deadline: deadline, sentAt: make([]int64, ph.Window)}
		results[i] = cl
		wg.Go(func() { cl.run(ctx) })
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

// connLoad is one connection's side of a phase: a closed loop on one
// goroutine. It fills its window of requests, then sends the next request
// in the slot of each response it reads, until the phase's count or
// deadline, and reads the last responses.
type connLoad struct {
	c        *mqttc.Conn
	ph       docPhase
	next     *atomic.Int64 // the phase's next request, shared by the connections
	deadline time.Time
	sentAt   []int64 // per slot: send time, UnixNano
	inUse    int     // slots waiting for their response
	ended    bool    // no request is sent any more
	buf      []byte
	lat      hist.Histogram
	last     time.Time // time of the latest response
	err      error
	sent     int64
	got      int64
	failed   int64
	// firstError is the first failed response, for the report.
	firstError string
}

// run drives the connection until every request sent is answered, ctx
// ends, or the last responses are drainTimeout late.
func (cl *connLoad) run(ctx context.Context) {
	_ = cl.c.SetReadDeadline(time.Time{}) // the previous phase's stop
	stop := context.AfterFunc(ctx, func() { _ = cl.c.SetReadDeadline(time.Now()) })
	defer stop()
	for slot := range cl.sentAt {
		if !cl.send(slot) {
			break
		}
	}
	for cl.inUse > 0 && cl.err == nil {
		// The requests sent for the responses of one read leave together,
		// before the next read waits for the network.
		if cl.c.Buffered() == 0 {
			if err := cl.c.Flush(); err != nil {
				cl.err = err
				return
			}
		}
		topic, p, err := cl.c.ReadPublish()
		if errors.Is(err, mqttc.ErrMalformedPublish) {
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				err = ctx.Err()
			} else if cl.ended && errors.Is(err, os.ErrDeadlineExceeded) {
				err = fmt.Errorf("%d responses missing after %s", cl.inUse, drainTimeout)
			}
			cl.err = fmt.Errorf("read: %w", err)
			return
		}
		if string(topic) != responseTopic {
			continue
		}
		if slot, ok := cl.record(p); ok {
			cl.inUse--
			cl.send(slot)
		}
	}
}

// send queues the phase's next request in slot, unless the phase is over;
// it reports whether it queued one. The run loop flushes what is queued.
func (cl *connLoad) send(slot int) bool {
	if cl.ended {
		return false
	}
	seq := int(cl.next.Add(1)) - 1
	if seq >= cl.ph.Count || (!cl.deadline.IsZero() && time.Now().After(cl.deadline)) {
		cl.ended = true
		_ = cl.c.SetReadDeadline(time.Now().Add(drainTimeout))
		return false
	}
	cl.buf = cl.ph.Build(cl.buf[:0], seq, "s"+strconv.Itoa(slot))
	cl.sentAt[slot] = time.Now().UnixNano()
	cl.c.Queue(requestTopic, cl.buf)
	cl.inUse++
	cl.sent++
	return true
}

// drainTimeout bounds the wait for the last responses of a phase.
const drainTimeout = 30 * time.Second

// record counts a response and returns its slot.
func (cl *connLoad) record(p []byte) (int, bool) {
	id := stringField(p, "requestId")
	slot, err := strconv.Atoi(id[min(1, len(id)):])
	if err != nil || slot < 0 || slot >= len(cl.sentAt) {
		cl.failed++
		return 0, false
	}
	now := time.Now()
	cl.lat.Record(time.Duration(now.UnixNano() - cl.sentAt[slot]))
	cl.last = now
	cl.got++
	if (cl.ph.Check != nil && !cl.ph.Check(p)) || (cl.ph.Check == nil && !ok(p)) {
		cl.failed++
		if cl.firstError == "" {
			cl.firstError = string(bytes.Clone(p[:min(len(p), 400)]))
		}
	}
	return slot, true
}
