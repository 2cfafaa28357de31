package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/starlingmq/starling/bench/internal/hist"
)

// The connections of the Kuzzle protocol cases: the WebSocket case spreads
// its window over wsConns connections; the HTTP case runs httpConns
// keep-alive connections, one request in flight on each.
const (
	wsConns   = 4
	httpConns = 8
)

// reqrespKuzzleProtocols adds Starling's cases over Kuzzle's own protocols
// on server.port: server:now over WebSocket and GET /_now over HTTP, flat
// out.
func (h *Harness) reqrespKuzzleProtocols(ctx context.Context, rep *Report, cfg ReqRespConfig) {
	cases := []struct {
		label string
		run   func(ctx context.Context, addr string, cfg ReqRespConfig) (*protoLoad, error)
	}{
		{fmt.Sprintf("Kuzzle WebSocket, flat out (%d in flight, %d connections)", cfg.Window, wsConns), wsLoad},
		{fmt.Sprintf("HTTP GET /_now, keep-alive, flat out (%d connections)", httpConns), httpLoad},
	}
	for _, c := range cases {
		row, err := h.protocolCase(ctx, c.run, cfg)
		row.Case, row.Server = c.label, Starling
		if err != nil {
			row.Note = err.Error()
			h.Log.Error("request/response case failed", "case", c.label, "server", Starling, "err", err)
		}
		rep.Add(row)
	}
	rep.Note("Kuzzle WebSocket and HTTP: Starling's server.port, as Kuzzle's SDKs use it. WebSocket: %s as text messages, answers matched by requestId; HTTP: GET /_now with net/http's keep-alive, each connection's next request sent once its answer is read.", serverNow(0))
}

// protoLoad is the figures of one connection's closed loop, then of a
// case's connections together.
type protoLoad struct {
	lat             hist.Histogram
	sent, got, errs int64
	last            time.Time // arrival of the latest answer
}

// add adds o's figures to l.
func (l *protoLoad) add(o *protoLoad) {
	l.lat.Merge(&o.lat)
	l.sent, l.got, l.errs = l.sent+o.sent, l.got+o.got, l.errs+o.errs
	if o.last.After(l.last) {
		l.last = o.last
	}
}

// protocolCase starts Starling, runs load against its HTTP and WebSocket
// listener and measures the server.
func (h *Harness) protocolCase(ctx context.Context, load func(context.Context, string, ReqRespConfig) (*protoLoad, error), cfg ReqRespConfig) (Row, error) {
	row := Row{Values: map[string]float64{}}
	srv, err := h.Env.Start(ctx, Starling)
	if err != nil {
		return row, err
	}
	defer srv.Stop()
	if srv.HTTPAddr == "" {
		return row, errors.New("no HTTP listener address in Starling's log")
	}
	m, err := startMeter(srv.PID)
	if err != nil {
		return row, err
	}
	l, lerr := load(ctx, srv.HTTPAddr, cfg)
	merr := m.end()
	mem, _ := srv.Memory()
	got := float64(l.got)
	v := row.Values
	v["rate"] = got / max(l.last.Sub(m.wall).Seconds(), 1e-3)
	latencies(v, &l.lat)
	v["cpu"] = micros(m.serverCPU) / max(got, 1)
	v["total"] = v["cpu"]
	v["rss"] = float64(mem.Peak) / (1 << 20)
	v["errors"] = float64(l.errs)
	v["lost"] = float64(l.sent - l.got)
	v["lg"] = 100 * m.loadgenCPU.Seconds() / m.elapsed.Seconds()
	return row, errors.Join(lerr, merr)
}

// runLoops runs loop n times at once and adds up their figures.
func runLoops(n int, loop func(l *protoLoad) error) (*protoLoad, error) {
	loads := make([]protoLoad, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = loop(&loads[i]) })
	}
	wg.Wait()
	total := &protoLoad{}
	for i := range loads {
		total.add(&loads[i])
	}
	return total, errors.Join(errs...)
}

// wsLoad sends server:now over Kuzzle's WebSocket protocol for
// cfg.Duration, cfg.Window requests in flight spread over wsConns
// connections.
func wsLoad(ctx context.Context, addr string, cfg ReqRespConfig) (*protoLoad, error) {
	deadline := time.Now().Add(cfg.Duration)
	window := max(cfg.Window/wsConns, 1)
	return runLoops(wsConns, func(l *protoLoad) error {
		return wsLoop(ctx, "ws://"+addr+"/", window, deadline, l)
	})
}

// wsLoop is one WebSocket connection's closed loop: window requests, then
// the next one in the slot of each answer, until deadline; it reads the
// last answers for at most drainTimeout.
func wsLoop(ctx context.Context, url string, window int, deadline time.Time, l *protoLoad) error {
	rctx, cancel := context.WithDeadline(ctx, deadline.Add(drainTimeout))
	defer cancel()
	ws, _, err := websocket.Dial(rctx, url, nil)
	if err != nil {
		return fmt.Errorf("dial %s: %w", url, err)
	}
	defer ws.CloseNow()
	sentAt := make([]time.Time, window)
	send := func(slot int) error {
		sentAt[slot] = time.Now()
		l.sent++
		return ws.Write(rctx, websocket.MessageText, serverNow(slot))
	}
	for slot := range window {
		if err := send(slot); err != nil {
			return fmt.Errorf("send: %w", err)
		}
	}
	for inUse := window; inUse > 0; {
		_, p, err := ws.Read(rctx)
		if err != nil {
			return fmt.Errorf("read (%d answers missing): %w", inUse, err)
		}
		id := stringField(p, "requestId")
		slot, err := strconv.Atoi(id[min(1, len(id)):])
		if err != nil || slot < 0 || slot >= window {
			l.errs++
			continue
		}
		now := time.Now()
		l.lat.Record(now.Sub(sentAt[slot]))
		l.got, l.last = l.got+1, now
		inUse--
		if !ok(p) {
			l.errs++
		}
		if now.Before(deadline) {
			if err := send(slot); err != nil {
				return fmt.Errorf("send: %w", err)
			}
			inUse++
		}
	}
	return nil
}

// httpLoad sends GET /_now for cfg.Duration on httpConns keep-alive
// connections, one request in flight on each.
func httpLoad(ctx context.Context, addr string, cfg ReqRespConfig) (*protoLoad, error) {
	deadline := time.Now().Add(cfg.Duration)
	client := &http.Client{
		Timeout: drainTimeout,
		Transport: &http.Transport{
			MaxIdleConnsPerHost: httpConns,
			MaxConnsPerHost:     httpConns,
			DisableCompression:  true,
		},
	}
	defer client.CloseIdleConnections()
	url := "http://" + addr + "/_now"
	return runLoops(httpConns, func(l *protoLoad) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		var body []byte
		for time.Now().Before(deadline) {
			start := time.Now()
			l.sent++
			resp, err := client.Do(req)
			if err != nil {
				return fmt.Errorf("GET /_now: %w", err)
			}
			body, err = appendBody(body[:0], resp)
			if err != nil {
				return fmt.Errorf("GET /_now: read the answer: %w", err)
			}
			now := time.Now()
			l.lat.Record(now.Sub(start))
			l.got, l.last = l.got+1, now
			if resp.StatusCode != http.StatusOK || !ok(body) {
				l.errs++
			}
		}
		return nil
	})
}

// appendBody appends resp's body to dst and closes it, so that its
// connection is reused.
func appendBody(dst []byte, resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		n, err := resp.Body.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
}
