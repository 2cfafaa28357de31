package main

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/starlingmq/starling/bench/internal/hist"
	"github.com/starlingmq/starling/bench/internal/mqttc"
	"github.com/starlingmq/starling/bench/internal/proc"
)

// stampField is the payload field carrying the publish time, in
// nanoseconds since the harness's epoch (monotonic clock).
const stampField = "bench_t"

// receivers reads messages on a set of connections, one goroutine each,
// and measures the latency of every message from its embedded publish
// time. It signals when the expected count has arrived.
type receivers struct {
	epoch    time.Time
	expected int64
	// accept filters messages (e.g. a requester's responses); nil takes all.
	accept func(topic, payload []byte) bool
	// seen, when set, is called with each counted message and the index
	// of the connection it came on, from that connection's reader.
	seen func(conn int, payload []byte)

	conns    []*mqttc.Conn
	hists    []hist.Histogram
	got      atomic.Int64
	errs     atomic.Int64
	last     atomic.Int64 // arrival of the latest message, ns since epoch
	size     atomic.Int64 // payload size of a received message
	stopping atomic.Bool
	done     chan struct{}
	wg       sync.WaitGroup
}

func newReceivers(epoch time.Time, conns []*mqttc.Conn, expected int64) *receivers {
	return &receivers{epoch: epoch, expected: expected, conns: conns,
		hists: make([]hist.Histogram, len(conns)), done: make(chan struct{})}
}

// start launches the readers; reads end at deadline at the latest.
func (r *receivers) start(deadline time.Time) {
	for i, c := range r.conns {
		_ = c.SetReadDeadline(deadline)
		r.wg.Add(1)
		go r.read(i, c, &r.hists[i])
	}
}

func (r *receivers) read(i int, c *mqttc.Conn, h *hist.Histogram) {
	defer r.wg.Done()
	for {
		topic, p, err := c.ReadPublish()
		if errors.Is(err, mqttc.ErrMalformedPublish) || (err == nil && r.accept != nil && !r.accept(topic, p)) {
			continue
		}
		if err != nil {
			if !r.stopping.Load() {
				r.errs.Add(1)
			}
			return
		}
		t, found := intField(p, stampField)
		if !found {
			r.errs.Add(1)
			continue
		}
		now := time.Since(r.epoch)
		h.Record(now - time.Duration(t))
		r.size.Store(int64(len(p)))
		r.last.Store(int64(now))
		if r.got.Add(1) == r.expected {
			close(r.done)
		}
		if r.seen != nil {
			r.seen(i, p)
		}
	}
}

// wait returns when every expected message arrived or at deadline.
func (r *receivers) wait(deadline time.Time) {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-r.done:
	case <-t.C:
	}
}

// stop closes the connections, waits for the readers and returns the merged
// latency histogram.
func (r *receivers) stop() *hist.Histogram {
	r.stopping.Store(true)
	for _, c := range r.conns {
		_ = c.Close()
	}
	r.wg.Wait()
	var all hist.Histogram
	for i := range r.hists {
		all.Merge(&r.hists[i])
	}
	return &all
}

// stamp is the current time for a payload.
func stamp(epoch time.Time) int64 { return int64(time.Since(epoch)) }

// meter snapshots a server's and the load generator's CPU time.
type meter struct {
	pid        int
	server     time.Duration
	loadgen    time.Duration
	wall       time.Time
	serverCPU  time.Duration // deltas, after end
	loadgenCPU time.Duration
	elapsed    time.Duration
}

func startMeter(pid int) (*meter, error) {
	m := &meter{pid: pid, wall: time.Now()}
	var err error
	if m.server, err = proc.CPUTime(pid); err != nil {
		return nil, err
	}
	m.loadgen, _ = proc.CPUTime(os.Getpid())
	return m, nil
}

func (m *meter) end() error {
	s, err := proc.CPUTime(m.pid)
	if err != nil {
		return fmt.Errorf("server CPU at the end: %w", err)
	}
	l, _ := proc.CPUTime(os.Getpid())
	m.serverCPU, m.loadgenCPU, m.elapsed = s-m.server, l-m.loadgen, time.Since(m.wall)
	return nil
}

// familyMeter measures the CPU of a process and its children (a database
// server's); a zero pid measures nothing.
type familyMeter struct {
	pid   int
	start time.Duration
}

func startFamilyMeter(pid int) (familyMeter, error) {
	if pid == 0 {
		return familyMeter{}, nil
	}
	t, err := proc.FamilyCPUTime(pid)
	if err != nil {
		return familyMeter{}, fmt.Errorf("database CPU: %w", err)
	}
	return familyMeter{pid: pid, start: t}, nil
}

// since returns the CPU time spent since the start.
func (f familyMeter) since() (time.Duration, error) {
	if f.pid == 0 {
		return 0, nil
	}
	t, err := proc.FamilyCPUTime(f.pid)
	if err != nil {
		return 0, fmt.Errorf("database CPU at the end: %w", err)
	}
	return t - f.start, nil
}

// latencies adds the quantiles of h, in microseconds, to values.
func latencies(values map[string]float64, h *hist.Histogram) {
	values["p50"] = micros(h.Quantile(0.50))
	values["p99"] = micros(h.Quantile(0.99))
	values["p999"] = micros(h.Quantile(0.999))
}

func micros(d time.Duration) float64 { return float64(d) / 1e3 }

// pace calls send(i) for i in [0, count) at rate per second, catching up
// after a late tick, until count, the deadline or stop.
func pace(rate float64, count int, deadline time.Time, stop <-chan struct{}, send func(i int) error) (sent int, err error) {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	for sent < count {
		due := min(count, int(time.Since(start).Seconds()*rate)+1)
		for ; sent < due; sent++ {
			if err := send(sent); err != nil {
				return sent, err
			}
		}
		if time.Now().After(deadline) {
			return sent, fmt.Errorf("deadline after %d of %d messages", sent, count)
		}
		select {
		case <-tick.C:
		case <-stop:
			return sent, fmt.Errorf("stopped after %d of %d messages", sent, count)
		}
	}
	return sent, nil
}

// waitFor returns when n messages arrived or at deadline, whichever is
// first; for a count known only once sending is over (the expected count
// of newReceivers is then out of reach).
func (r *receivers) waitFor(n int64, deadline time.Time) {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for r.got.Load() < n && time.Now().Before(deadline) {
		<-tick.C
	}
}
