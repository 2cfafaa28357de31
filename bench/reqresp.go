package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/starlingmq/starling/bench/internal/hist"
	"github.com/starlingmq/starling/bench/internal/mqttc"
)

// ReqRespConfig is the request/response scenario: server:now round trips
// at fixed rates and flat out, per MQTT version.
type ReqRespConfig struct {
	Versions []byte // 4 (3.1.1) and/or 5
	Rates    []int  // requests per second; 0 is flat out
	Duration time.Duration
	Window   int // requests in flight when flat out
	Drain    time.Duration
	// MaxFlatOut bounds the requests of a flat-out case.
	MaxFlatOut int
	// Repeat runs Starling's security cases this many rounds (at least
	// three), the cases interleaved, and keeps each one's median run.
	Repeat int
}

// The peers' echo topics.
const (
	echoRequestTopic  = "bench/request"
	echoResponseTopic = "bench/response"
)

func reqrespColumns() []Column {
	return []Column{
		{Key: "rate", Header: "responses/s", Chart: true},
		{Key: "p50", Header: "p50 µs", Lower: true},
		{Key: "p99", Header: "p99 µs", Lower: true, Chart: true},
		{Key: "p999", Header: "p99.9 µs", Lower: true},
		{Key: "cpu", Header: "server CPU µs/op", Lower: true},
		{Key: "echo", Header: "responder CPU µs/op", Lower: true},
		{Key: "total", Header: "total CPU µs/op", Lower: true, Chart: true},
		{Key: "rss", Header: "peak RSS MiB", Lower: true},
		{Key: "errors", Header: "errors", Lower: true},
		{Key: "lost", Header: "lost", Lower: true},
		{Key: "lg", Header: "loadgen CPU %", Lower: true},
	}
}

// ReqResp runs the request/response scenario: Starling answers server:now;
// a peer broker carries the request to an echo responder client (a process
// of its own, on the servers' CPU) and its answer back.
func (h *Harness) ReqResp(ctx context.Context, cfg ReqRespConfig) *Report {
	rep := h.newReport("reqresp", "server:now round trips; peers: a responder client echoing through the broker", reqrespColumns())
	if cfg.MaxFlatOut == 0 {
		cfg.MaxFlatOut = 5_000_000
	}
	for _, v := range cfg.Versions {
		for _, rate := range cfg.Rates {
			label := fmt.Sprintf("MQTT %s, %s req/s", versionName(v), group(int64(rate)))
			if rate == 0 {
				label = fmt.Sprintf("MQTT %s, flat out (%d in flight)", versionName(v), cfg.Window)
			}
			for _, server := range h.servers(rep) {
				if server == Aedes && v == 5 {
					continue // aedes 0.51.3 speaks MQTT 3.1.1 only
				}
				row, err := h.reqrespCase(ctx, server, v, rate, cfg)
				row.Case, row.Server = label, server
				if err != nil {
					row.Note = err.Error()
					h.Log.Error("request/response case failed", "case", label, "server", server, "err", err)
				}
				rep.Add(row)
			}
		}
	}
	if slices.Contains(h.servers(rep), Starling) {
		h.reqrespKuzzleProtocols(ctx, rep, cfg)
		h.reqrespAuthenticated(ctx, rep, cfg)
	}
	rep.Note("aedes 0.51.3 refuses MQTT 5 connections (CONNACK 0x01): MQTT 5 cases have no aedes row.")
	rep.Note("total CPU = server + responder (the peers' echo client; Starling needs none). Requests: %s.", serverNow(0))
	return rep
}

func versionName(v byte) string {
	if v == 5 {
		return "5"
	}
	return "3.1.1"
}

func serverNow(seq int) []byte { return serverNowAs(seq, "") }

// serverNowAs is serverNow carrying a token ("" for none).
func serverNowAs(seq int, jwt string) []byte {
	b := []byte(`{"controller":"server","action":"now","requestId":"r` + strconv.Itoa(seq) + `"`)
	if jwt != "" {
		b = append(append(append(b, `,"jwt":"`...), jwt...), '"')
	}
	return append(b, '}')
}

func (h *Harness) reqrespCase(ctx context.Context, server string, version byte, rate int, cfg ReqRespConfig) (Row, error) {
	return h.reqrespCaseAs(ctx, server, version, rate, cfg, anonymous)
}

// How a reqresp case's requester identifies itself (Starling only).
const (
	anonymous   = iota
	jwtInEach   // every request carries the token of a user logged in first
	connectedAs // the requester's CONNECT carries the user's name and password
)

// reqrespCaseAs is reqrespCase with the requester identified as auth says.
func (h *Harness) reqrespCaseAs(ctx context.Context, server string, version byte, rate int, cfg ReqRespConfig, auth int) (Row, error) {
	row := Row{Values: map[string]float64{}}
	srv, err := h.Env.Start(ctx, server)
	if err != nil {
		return row, err
	}
	defer srv.Stop()
	jwt, opts := "", mqttc.Options{Version: version, ClientID: "bench-requester"}
	if auth != anonymous {
		if jwt, err = benchLogin(srv.Addr, version); err != nil {
			return row, err
		}
		if auth == connectedAs {
			jwt, opts.Username, opts.Password = "", benchUser, benchPassword
		}
	}
	reqTopic, respTopic := requestTopic, responseTopic
	var echo *Server
	if server != Starling {
		reqTopic, respTopic = echoRequestTopic, echoResponseTopic
		if echo, err = h.startEcho(ctx, srv.Addr, version); err != nil {
			return row, err
		}
		defer echo.Stop()
	}
	c, err := mqttc.Dial(srv.Addr, opts)
	if err != nil {
		return row, err
	}
	defer c.Close()
	if server != Starling {
		if err := c.Subscribe(respTopic, 10*time.Second); err != nil {
			return row, err
		}
	}
	count := int(float64(rate) * cfg.Duration.Seconds())
	if rate == 0 {
		count = cfg.MaxFlatOut
	}
	rt := &roundTrips{sent: make([]atomic.Int64, count), topic: respTopic, epoch: h.Epoch, done: make(chan struct{}), jwt: jwt}
	if rate == 0 {
		rt.slots = make(chan struct{}, cfg.Window)
	}
	end := time.Now().Add(2*cfg.Duration + cfg.Drain + 10*time.Second)
	_ = c.SetDeadline(end)
	m, err := startMeter(srv.PID)
	if err != nil {
		return row, err
	}
	var echoCPU0 time.Duration
	if echo != nil {
		echoCPU0, _ = echo.CPU()
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); rt.read(c, server == Starling) }()
	sent, serr := rt.send(ctx, c, reqTopic, rate, count, cfg)
	rt.expect(int64(sent))
	rt.wait(time.Now().Add(cfg.Drain))
	merr := m.end()
	if echo != nil {
		echoCPU1, _ := echo.CPU()
		row.Values["echo"] = micros(echoCPU1-echoCPU0) / max(float64(rt.got.Load()), 1)
	}
	mem, _ := srv.Memory()
	c.Close()
	wg.Wait()
	rt.fill(row.Values, m, int64(sent))
	row.Values["rss"] = float64(mem.Peak) / (1 << 20)
	if serr != nil {
		return row, serr
	}
	return row, merr
}

// roundTrips tracks one requester's requests and responses.
type roundTrips struct {
	sent   []atomic.Int64 // send time of request i, ns since epoch
	topic  string         // of the responses
	epoch  time.Time
	lat    hist.Histogram // written by read only
	got    atomic.Int64
	errs   atomic.Int64
	last   atomic.Int64 // arrival of the latest response
	want   atomic.Int64 // responses expected, once sending is over
	done   chan struct{}
	closed atomic.Bool
	slots  chan struct{} // flat out: one token per request in flight; set before read starts
	jwt    string        // the token the requests carry, "" for none
}

// send sends count requests at rate per second (0: flat out, cfg.Window in
// flight) until count or cfg.Duration; it returns how many it sent.
func (rt *roundTrips) send(ctx context.Context, c *mqttc.Conn, topic string, rate, count int, cfg ReqRespConfig) (int, error) {
	publish := func(i int) error {
		rt.sent[i].Store(stamp(rt.epoch))
		return c.Publish(topic, serverNowAs(i, rt.jwt))
	}
	if rate > 0 {
		return pace(float64(rate), count, time.Now().Add(2*cfg.Duration+5*time.Second), ctx.Done(), publish)
	}
	stop := time.NewTimer(cfg.Duration)
	defer stop.Stop()
	for i := range count {
		select {
		case rt.slots <- struct{}{}:
		case <-stop.C:
			return i, nil
		case <-ctx.Done():
			return i, ctx.Err()
		}
		if err := publish(i); err != nil {
			return i + 1, err
		}
	}
	return count, nil
}

// read records the responses until the connection closes.
func (rt *roundTrips) read(c *mqttc.Conn, kuzzle bool) {
	for {
		topic, p, err := c.ReadPublish()
		if errors.Is(err, mqttc.ErrMalformedPublish) || (err == nil && string(topic) != rt.topic) {
			continue
		}
		if err != nil {
			return
		}
		id := stringField(p, "requestId")
		seq, err := strconv.Atoi(id[min(1, len(id)):])
		if err != nil || seq < 0 || seq >= len(rt.sent) || (kuzzle && !ok(p)) {
			rt.errs.Add(1)
		} else {
			now := stamp(rt.epoch)
			rt.lat.Record(time.Duration(now - rt.sent[seq].Load()))
			rt.last.Store(now)
		}
		if rt.slots != nil {
			<-rt.slots
		}
		if n := rt.got.Add(1); n == rt.want.Load() && rt.closed.CompareAndSwap(false, true) {
			close(rt.done)
		}
	}
}

// expect sets the number of responses to wait for.
func (rt *roundTrips) expect(n int64) {
	rt.want.Store(n)
	if rt.got.Load() >= n && rt.closed.CompareAndSwap(false, true) {
		close(rt.done)
	}
}

func (rt *roundTrips) wait(deadline time.Time) {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-rt.done:
	case <-t.C:
	}
}

// fill writes the case's figures; call it after read has returned.
func (rt *roundTrips) fill(v map[string]float64, m *meter, sent int64) {
	got := rt.got.Load()
	elapsed := time.Duration(rt.last.Load()) - m.wall.Sub(rt.epoch)
	v["rate"] = float64(got) / max(elapsed.Seconds(), 1e-3)
	latencies(v, &rt.lat)
	v["cpu"] = micros(m.serverCPU) / max(float64(got), 1)
	v["total"] = v["cpu"] + v["echo"]
	v["errors"] = float64(rt.errs.Load())
	v["lost"] = float64(sent - got)
	v["lg"] = 100 * m.loadgenCPU.Seconds() / m.elapsed.Seconds()
}
