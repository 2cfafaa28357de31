package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/starlingmq/starling/bench/internal/mqttc"
)

// pubField is the payload field naming the publisher of a message.
const pubField = "bench_pub"

// clusterFanoutCase runs one case on nodes Starling nodes (1: a plain
// node): rate publishes per second from all publishers together, or flat
// out when rate is 0.
func (h *Harness) clusterFanoutCase(ctx context.Context, cfg ClusterConfig, nodes, rate int) (Row, error) {
	row := Row{Values: map[string]float64{}}
	srvs, err := h.startNodes(ctx, nodes, cfg.Heartbeat,
		"kuzzle_limits__subscriptionRooms=0",
		"kuzzle_limits__subscriptionRoomsPerConnection=0", // one connection registers every other filter
		"kuzzle_server__protocols__mqtt__maxPendingNotifications=100000")
	if err != nil {
		return row, err
	}
	defer stopAll(srvs)
	node := func(i int) *Server { return srvs[i%len(srvs)] }
	setup := time.Now().Add(setupTimeout(cfg.Subscribers + cfg.Filters))
	for i := range srvs {
		// Each node registers its share of the other filters before its
		// subscribers: a node that counts another's subscribers holds its
		// filters too.
		share := cfg.Filters/len(srvs) + btoi(i < cfg.Filters%len(srvs))
		helper, err := h.registerFilters(srvs[i].Addr, share, setup)
		if err != nil {
			return row, fmt.Errorf("node %d: %w", i+1, err)
		}
		if helper != nil {
			defer helper.Close()
		}
	}
	subs, roomID, err := h.fanoutSubscribers(ctx, func(i int) string { return node(i).Addr }, Starling, cfg.Subscribers, setup)
	if err != nil {
		return row, err
	}
	pubs, err := connectMany(ctx, cfg.Publishers, setup, func(i int) (*mqttc.Conn, error) {
		c, err := mqttc.Dial(node(i).Addr, mqttc.Options{ClientID: "bench-publisher-" + strconv.Itoa(i)})
		if err != nil {
			return nil, err
		}
		// The publisher's node counts every node's subscribers.
		return c, waitRoomCount(ctx, c, roomID, cfg.Subscribers, setup)
	})
	if err != nil {
		closeAll(subs)
		return row, err
	}
	defer closeAll(pubs)
	shipped0, err := shippedTotal(srvs)
	if err != nil {
		closeAll(subs)
		return row, err
	}
	// The deliveries expected are known once publishing is over: waitFor
	// waits for them, not the receivers' count.
	run := &clusterRun{cfg: cfg, nodes: len(srvs), pubs: pubs, rs: newReceivers(h.Epoch, subs, 0)}
	return run.measure(ctx, h, srvs, rate, shipped0)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// clusterRun is the publishing and measuring of one case.
type clusterRun struct {
	cfg   ClusterConfig
	nodes int
	pubs  []*mqttc.Conn
	rs    *receivers
	// sent counts the publishes sent, published those answered with
	// success, failed the others.
	sent, published, failed atomic.Int64
}

// measure publishes, waits for the deliveries and fills the row.
func (r *clusterRun) measure(ctx context.Context, h *Harness, srvs []*Server, rate int, shipped0 uint64) (Row, error) {
	row := Row{Values: map[string]float64{}}
	meters := make([]*meter, len(srvs))
	for i, s := range srvs {
		m, err := startMeter(s.PID)
		if err != nil {
			r.rs.stop()
			return row, err
		}
		meters[i] = m
	}
	publish := func() error { return r.paced(ctx, h, rate) }
	if rate == 0 {
		slots := r.watch() // before the readers start
		publish = func() error { return r.flatOut(ctx, h, slots) }
	}
	start := time.Now()
	r.rs.start(start.Add(2*r.cfg.Duration + r.cfg.Drain + 30*time.Second))
	perr := publish()
	published := time.Since(start)
	want := r.published.Load() * int64(r.cfg.Subscribers)
	r.rs.waitFor(want, time.Now().Add(r.cfg.Drain))
	var merr error
	v := row.Values
	for i, m := range meters {
		merr = errors.Join(merr, m.end())
		v["cpu"+strconv.Itoa(i+1)] = micros(m.serverCPU)
		v["cpu"] += micros(m.serverCPU)
		v["lg"] = 100 * m.loadgenCPU.Seconds() / m.elapsed.Seconds()
	}
	lat := r.rs.stop()
	shipped1, serr := shippedTotal(srvs)
	got := r.rs.got.Load()
	for i := range meters {
		v["cpu"+strconv.Itoa(i+1)] /= max(float64(got), 1)
	}
	v["cpu"] /= max(float64(got), 1)
	v["pubs"] = float64(r.published.Load()) / published.Seconds()
	elapsed := time.Duration(r.rs.last.Load()) - start.Sub(h.Epoch)
	v["rate"] = float64(got) / max(elapsed.Seconds(), 1e-3)
	latencies(v, lat)
	v["cross"] = float64(shipped1-shipped0) / max(float64(r.published.Load()), 1)
	v["errors"] = float64(r.rs.errs.Load() + r.failed.Load())
	v["lost"] = float64(want - got)
	return row, errors.Join(perr, merr, serr)
}

// paced sends rate publishes a second, round robin over the publishers,
// for the case's duration, their responses read beside.
func (r *clusterRun) paced(ctx context.Context, h *Harness, rate int) error {
	var wg sync.WaitGroup
	for _, p := range r.pubs {
		wg.Go(func() { r.readResponses(p) })
	}
	count := max(1, int(float64(rate)*r.cfg.Duration.Seconds()))
	_, err := pace(float64(rate), count, time.Now().Add(2*r.cfg.Duration+5*time.Second), ctx.Done(), func(i int) error {
		j := i % len(r.pubs)
		r.sent.Add(1)
		return r.pubs[j].Publish(requestTopic, clusterPublish(nil, j, stamp(h.Epoch)))
	})
	r.stopResponses(&wg)
	return err
}

// watch makes each publisher's slots, Window of them, and has the
// receivers free one when a publisher's notification reaches its watcher:
// a subscriber on the next node (subscriber 0 of a single node).
func (r *clusterRun) watch() []chan struct{} {
	slots := make([]chan struct{}, len(r.pubs))
	watcher := make([]int, len(r.pubs)) // publisher → the subscriber that frees its slots
	for j := range r.pubs {
		slots[j] = make(chan struct{}, r.cfg.Window)
		if watcher[j] = (j + 1) % r.nodes; watcher[j] >= r.cfg.Subscribers {
			watcher[j] = 0 // fewer subscribers than nodes
		}
	}
	r.rs.seen = func(conn int, p []byte) {
		if j, ok := intField(p, pubField); ok && int(j) < len(slots) && watcher[j] == conn {
			select {
			case <-slots[j]:
			default:
			}
		}
	}
	return slots
}

// flatOut lets each publisher send as fast as it can while it holds one
// of its slots per publish on the way (see watch), for the case's
// duration.
func (r *clusterRun) flatOut(ctx context.Context, h *Harness, slots []chan struct{}) error {
	var readers, senders sync.WaitGroup
	for _, p := range r.pubs {
		readers.Go(func() { r.readResponses(p) })
	}
	end := time.Now().Add(r.cfg.Duration)
	errs := make([]error, len(r.pubs))
	for j, p := range r.pubs {
		senders.Go(func() { errs[j] = r.sendAhead(ctx, h, j, p, slots[j], end) })
	}
	senders.Wait()
	r.stopResponses(&readers)
	return errors.Join(errs...)
}

// sendAhead publishes on p whenever slots has room, until end.
func (r *clusterRun) sendAhead(ctx context.Context, h *Harness, j int, p *mqttc.Conn, slots chan struct{}, end time.Time) error {
	timer := time.NewTimer(time.Until(end))
	defer timer.Stop()
	var buf []byte
	for {
		select {
		case slots <- struct{}{}:
		case <-timer.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
		buf = clusterPublish(buf[:0], j, stamp(h.Epoch))
		r.sent.Add(1)
		if err := p.Publish(requestTopic, buf); err != nil {
			return fmt.Errorf("publisher %d: %w", j, err)
		}
	}
}

// readResponses counts a publisher's responses until its connection's
// read deadline passes or it closes.
func (r *clusterRun) readResponses(c *mqttc.Conn) {
	for {
		_, p, err := c.ReadPublish()
		if err != nil && !errors.Is(err, mqttc.ErrMalformedPublish) {
			return
		}
		if err != nil || !ok(p) {
			r.failed.Add(1)
			continue
		}
		r.published.Add(1)
	}
}

// stopResponses waits until every publish sent is answered (or
// drainTimeout), then stops the readers. A publish is answered once
// matched and handed to its deliveries.
func (r *clusterRun) stopResponses(wg *sync.WaitGroup) {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.Now().Add(drainTimeout)
	for r.published.Load()+r.failed.Load() < r.sent.Load() && time.Now().Before(deadline) {
		<-tick.C
	}
	for _, p := range r.pubs {
		_ = p.SetReadDeadline(time.Now())
	}
	wg.Wait()
}

// clusterPublish appends publisher j's realtime:publish request stamped t.
func clusterPublish(dst []byte, j int, t int64) []byte {
	dst = append(dst, `{"controller":"realtime","action":"publish","index":"bench","collection":"fanout","body":{"kind":"alert","level":5,"device":"sensor-1","`+pubField+`":`...)
	dst = strconv.AppendInt(dst, int64(j), 10)
	dst = append(dst, `,"`+stampField+`":`...)
	dst = strconv.AppendInt(dst, t, 10)
	return append(dst, `}}`...)
}
