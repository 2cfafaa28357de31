package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/starlingmq/starling/bench/internal/mqttc"
)

// FanoutConfig is the realtime fan-out scenario: one publisher at a fixed
// rate, N subscribers of one filtered channel, Filters other filters that
// never match.
type FanoutConfig struct {
	Subscribers []int
	Filters     int
	// Deliveries per second the rate aims at: the publish rate is
	// Deliveries/N, within [MinRate, MaxRate].
	Deliveries       int
	MinRate, MaxRate int
	Duration         time.Duration // of publishing, per case
	Drain            time.Duration // wait for late deliveries
	// Repeat runs each case this many times and keeps the median run.
	Repeat int
}

// fanoutFilter is the filter every subscriber shares; the documents match it.
const fanoutFilter = `{"equals":{"kind":"alert"}}`

// fanoutTopic is the plain MQTT topic of the peers' fan-out.
const fanoutTopic = "bench/fanout"

// fanoutColumns are the fan-out table's figures.
func fanoutColumns() []Column {
	return []Column{
		{Key: "rate", Header: "deliveries/s", Chart: true},
		{Key: "p50", Header: "p50 µs", Lower: true},
		{Key: "p99", Header: "p99 µs", Lower: true, Chart: true},
		{Key: "p999", Header: "p99.9 µs", Lower: true},
		{Key: "cpu", Header: "server CPU µs/msg", Lower: true, Chart: true},
		{Key: "rss", Header: "peak RSS MiB", Lower: true},
		{Key: "bytes", Header: "msg bytes"},
		{Key: "errors", Header: "errors", Lower: true},
		{Key: "lost", Header: "lost", Lower: true},
		{Key: "lg", Header: "loadgen CPU %", Lower: true},
	}
}

// Fanout runs the fan-out scenario on Starling and the MQTT peers.
func (h *Harness) Fanout(ctx context.Context, cfg FanoutConfig) *Report {
	rep := h.newReport("fanout", fmt.Sprintf("realtime fan-out: 1 publisher, N subscribers of one channel, %s other filters", group(int64(cfg.Filters))), fanoutColumns())
	servers := h.servers(rep)
	for _, n := range cfg.Subscribers {
		rate := min(max(cfg.Deliveries/n, cfg.MinRate), cfg.MaxRate)
		count := max(1, int(float64(rate)*cfg.Duration.Seconds()))
		label := fmt.Sprintf("N=%s, %s pub/s", group(int64(n)), group(int64(rate)))
		runs := map[string][]Row{}
		size := 0
		for range max(cfg.Repeat, 1) { // servers interleaved, run after run
			for _, server := range servers {
				fc := fanoutCase{FanoutConfig: cfg, n: n, rate: rate, count: count, size: size}
				row, err := h.fanoutCase(ctx, server, fc)
				row.Case, row.Server = label, server
				if err != nil {
					row.Note = err.Error()
					h.Log.Error("fan-out case failed", "case", label, "server", server, "err", err)
				}
				if server == Starling && row.Values["bytes"] > 0 {
					size = int(row.Values["bytes"])
				}
				runs[server] = append(runs[server], row)
			}
		}
		for _, server := range servers {
			rep.Add(medianRow(runs[server], "cpu"))
		}
	}
	if cfg.Repeat > 1 {
		rep.Note("each row is the run with the median server CPU µs/msg of %d runs, servers interleaved", cfg.Repeat)
	}
	rep.Note("Starling: realtime:publish requests on %s, notifications on the channel of %s; peers: plain QoS 0 publishes on one topic, payload padded to the size of Starling's notification.", requestTopic, fanoutFilter)
	return rep
}

// fanoutCase is one N and one server.
type fanoutCase struct {
	FanoutConfig
	n, rate, count int
	size           int // peers' payload size; 0 for Starling's default
}

func (h *Harness) fanoutCase(ctx context.Context, server string, fc fanoutCase) (Row, error) {
	row := Row{Values: map[string]float64{}}
	srv, err := h.Env.Start(ctx, server,
		"kuzzle_limits__subscriptionRooms=0",
		"kuzzle_limits__subscriptionRoomsPerConnection=0", // one connection registers every other filter
		"kuzzle_server__protocols__mqtt__maxPendingNotifications=100000")
	if err != nil {
		return row, err
	}
	defer srv.Stop()
	setup := time.Now().Add(setupTimeout(fc.n + fc.Filters))
	if server == Starling {
		helper, err := h.registerFilters(srv.Addr, fc.Filters, setup)
		if err != nil {
			return row, err
		}
		if helper != nil {
			// Its rooms live as long as it does: until the case is over.
			defer helper.Close()
		}
	}
	subs, _, err := h.fanoutSubscribers(ctx, func(int) string { return srv.Addr }, server, fc.n, setup)
	if err != nil {
		return row, err
	}
	pub, err := mqttc.Dial(srv.Addr, mqttc.Options{ClientID: "bench-publisher"})
	if err != nil {
		closeAll(subs)
		return row, err
	}
	rs := newReceivers(h.Epoch, subs, int64(fc.n)*int64(fc.count))
	end := time.Now().Add(2*fc.Duration + fc.Drain + 10*time.Second)
	rs.start(end)
	_ = pub.SetDeadline(end)
	var pubErrs atomic.Int64
	var pubWG sync.WaitGroup
	if server == Starling {
		pubWG.Add(1)
		go func() { defer pubWG.Done(); drainResponses(pub, &pubErrs) }()
	}
	m, err := startMeter(srv.PID)
	if err != nil {
		rs.stop()
		pub.Close()
		return row, err
	}
	build := fanoutPayload(server, fc.size)
	_, perr := pace(float64(fc.rate), fc.count, time.Now().Add(2*fc.Duration+5*time.Second), ctx.Done(),
		func(int) error { return pub.Publish(topicFor(server), build(stamp(h.Epoch))) })
	rs.wait(time.Now().Add(fc.Drain))
	merr := m.end()
	mem, _ := srv.Memory()
	lat := rs.stop()
	pub.Close()
	pubWG.Wait()
	got := rs.got.Load()
	elapsed := time.Duration(rs.last.Load()) - m.wall.Sub(h.Epoch)
	v := row.Values
	v["rate"] = float64(got) / max(elapsed.Seconds(), 1e-3)
	latencies(v, lat)
	v["cpu"] = micros(m.serverCPU) / max(float64(got), 1)
	v["rss"] = float64(mem.Peak) / (1 << 20)
	v["bytes"] = float64(rs.size.Load())
	v["errors"] = float64(rs.errs.Load() + pubErrs.Load())
	v["lost"] = float64(rs.expected - got)
	v["lg"] = 100 * m.loadgenCPU.Seconds() / m.elapsed.Seconds()
	if perr != nil {
		return row, perr
	}
	return row, merr
}

// setupTimeout bounds the set-up of a case with n connections or filters.
func setupTimeout(n int) time.Duration { return 30*time.Second + time.Duration(n)*5*time.Millisecond }

func topicFor(server string) string {
	if server == Starling {
		return requestTopic
	}
	return fanoutTopic
}

// fanoutPayload returns the publisher's payload builder: a realtime:publish
// request for Starling, a document padded to size bytes for the peers.
func fanoutPayload(server string, size int) func(t int64) []byte {
	if server == Starling {
		return func(t int64) []byte {
			return []byte(`{"controller":"realtime","action":"publish","index":"bench","collection":"fanout","body":{"kind":"alert","level":5,"device":"sensor-1","` +
				stampField + `":` + strconv.FormatInt(t, 10) + `}}`)
		}
	}
	size = max(size, 64)
	return func(t int64) []byte {
		b := []byte(`{"kind":"alert","level":5,"device":"sensor-1","` + stampField + `":` + strconv.FormatInt(t, 10) + `,"pad":"`)
		pad := max(0, size-len(b)-2)
		return append(append(b, strings.Repeat("x", pad)...), `"}`...)
	}
}

// drainResponses reads a publisher's responses until its connection
// closes, counting the failed ones.
func drainResponses(c *mqttc.Conn, errs *atomic.Int64) {
	for {
		_, p, err := c.ReadPublish()
		if err != nil && !errors.Is(err, mqttc.ErrMalformedPublish) {
			return
		}
		if err != nil || !ok(p) {
			errs.Add(1)
		}
	}
}

// registerFilters registers n distinct filters that never match the
// fan-out's documents, from one helper connection, which it returns: the
// filters stay registered while it is open (nil when n is 0).
func (h *Harness) registerFilters(addr string, n int, deadline time.Time) (*mqttc.Conn, error) {
	if n == 0 {
		return nil, nil
	}
	c, err := mqttc.Dial(addr, mqttc.Options{ClientID: "bench-filters"})
	if err != nil {
		return nil, err
	}
	failed, err := pipeline(c, n, 256, time.Until(deadline), func(i int) []byte {
		return []byte(`{"controller":"realtime","action":"subscribe","index":"bench","collection":"fanout","body":` + otherFilter(i) + `}`)
	})
	if err == nil && failed > 0 {
		err = fmt.Errorf("%d failed", failed)
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("register %d filters: %w", n, err)
	}
	return c, nil
}

// otherFilter is the i-th filter that never matches a fan-out document.
func otherFilter(i int) string {
	switch i % 4 {
	case 0:
		return `{"equals":{"kind":"k` + strconv.Itoa(i) + `"}}`
	case 1:
		return `{"equals":{"device":"sensor-` + strconv.Itoa(i+2) + `"}}`
	case 2:
		return `{"range":{"level":{"gt":` + strconv.Itoa(100+i) + `}}}`
	}
	return `{"and":[{"equals":{"kind":"alert"}},{"in":{"device":["d` + strconv.Itoa(i) + `","e` + strconv.Itoa(i) + `"]}}]}`
}

// fanoutSubscribers connects n subscribers, subscriber i to addr(i): on
// Starling each calls realtime:subscribe with the shared filter and
// subscribes to the channel; on a peer each subscribes to the plain topic.
// It returns Starling's room id ("" for a peer).
func (h *Harness) fanoutSubscribers(ctx context.Context, addr func(i int) string, server string, n int, deadline time.Time) ([]*mqttc.Conn, string, error) {
	var roomID atomic.Value
	roomID.Store("")
	conns, err := connectMany(ctx, n, deadline, func(i int) (*mqttc.Conn, error) {
		c, err := mqttc.Dial(addr(i), mqttc.Options{ClientID: "bench-sub-" + strconv.Itoa(i)})
		if err != nil {
			return nil, err
		}
		topic := fanoutTopic
		if server == Starling {
			resp, err := request(c, []byte(`{"controller":"realtime","action":"subscribe","index":"bench","collection":"fanout","body":`+fanoutFilter+`}`), time.Until(deadline))
			if err != nil {
				c.Close()
				return nil, err
			}
			if topic = stringField(resp, "channel"); topic == "" {
				c.Close()
				return nil, errNoChannel
			}
			roomID.Store(stringField(resp, "roomId"))
		}
		if err := c.Subscribe(topic, time.Until(deadline)); err != nil {
			c.Close()
			return nil, err
		}
		return c, nil
	})
	return conns, roomID.Load().(string), err
}

// connectMany opens n connections with a few workers; on any failure it
// closes those opened and returns the first error.
func connectMany(ctx context.Context, n int, deadline time.Time, open func(i int) (*mqttc.Conn, error)) ([]*mqttc.Conn, error) {
	conns := make([]*mqttc.Conn, n)
	errs := make([]error, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, 16) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if ctx.Err() != nil || time.Now().After(deadline) {
					errs[i] = fmt.Errorf("connection %d: set-up deadline or cancellation", i)
					continue
				}
				conns[i], errs[i] = open(i)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			closeAll(conns)
			return nil, fmt.Errorf("connect %d clients: %w", n, err)
		}
	}
	return conns, nil
}

func closeAll(conns []*mqttc.Conn) {
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}

// medianRow returns the successful run with the median value of key, and
// notes every run's value; with no successful run, the first run.
func medianRow(runs []Row, key string) Row {
	var good []Row
	for _, r := range runs {
		if r.Note == "" {
			good = append(good, r)
		}
	}
	if len(good) == 0 {
		return runs[0]
	}
	slices.SortFunc(good, func(a, b Row) int { return cmp.Compare(a.Values[key], b.Values[key]) })
	m := good[(len(good)-1)/2]
	if len(runs) > 1 {
		m.RunsKey = key
		for _, r := range runs {
			m.Runs = append(m.Runs, r.Values[key])
		}
	}
	return m
}
