package main

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/starlingmq/starling/bench/internal/mqttc"
	"github.com/starlingmq/starling/bench/internal/proc"
)

// IdleConfig is the idle connections scenario: hold many MQTT connections
// and measure the server's memory per connection.
type IdleConfig struct {
	Connections []int
	// Sources is how many loopback source addresses (127.0.0.2, …) the
	// connections spread over, to go past the ephemeral port range.
	Sources int
}

// fdMargin is what a process needs open besides the connections.
const fdMargin = 256

func idleColumns() []Column {
	return []Column{
		{Key: "conns", Header: "connections"},
		{Key: "rate", Header: "connects/s", Chart: true},
		{Key: "cpu", Header: "server CPU µs/connect", Lower: true},
		{Key: "base", Header: "RSS before MiB", Lower: true},
		{Key: "after", Header: "RSS held MiB", Lower: true},
		{Key: "per", Header: "KiB/connection", Lower: true, Chart: true},
		{Key: "rss", Header: "peak RSS MiB", Lower: true},
		{Key: "errors", Header: "errors", Lower: true},
	}
}

// Idle runs the idle connections scenario.
func (h *Harness) Idle(ctx context.Context, cfg IdleConfig) *Report {
	rep := h.newReport("idle", "idle MQTT 3.1.1 connections held (keep-alive off), server memory per connection", idleColumns())
	limit := openFilesLimit()
	for _, n := range cfg.Connections {
		label := group(int64(n)) + " connections"
		if n+fdMargin > limit {
			rep.Note("%s skipped: needs %d open files per process, RLIMIT_NOFILE is %d here (raising the hard limit needs CAP_SYS_RESOURCE or a higher limit from the service manager)", label, n+fdMargin, limit)
			continue
		}
		for _, server := range h.servers(rep) {
			row, err := h.idleCase(ctx, server, n, cfg.Sources)
			row.Case, row.Server = label, server
			if err != nil {
				row.Note = err.Error()
				h.Log.Error("idle case failed", "case", label, "server", server, "err", err)
			}
			rep.Add(row)
		}
	}
	rep.Note("KiB/connection = (RSS with the connections held − RSS before) / connections, RSS read once it stops growing.")
	return rep
}

func (h *Harness) idleCase(ctx context.Context, server string, n, sources int) (Row, error) {
	row := Row{Values: map[string]float64{"conns": float64(n)}}
	srv, err := h.Env.Start(ctx, server)
	if err != nil {
		return row, err
	}
	defer srv.Stop()
	before, err := settledRSS(srv.PID, 2*time.Second)
	if err != nil {
		return row, err
	}
	m, err := startMeter(srv.PID)
	if err != nil {
		return row, err
	}
	deadline := time.Now().Add(setupTimeout(n))
	conns, err := connectMany(ctx, n, deadline, func(i int) (*mqttc.Conn, error) {
		ip := net.IPv4(127, 0, 0, byte(2+i%max(sources, 1)))
		return mqttc.Dial(srv.Addr, mqttc.Options{ClientID: "idle-" + strconv.Itoa(i), LocalIP: ip, ReadBuffer: 4096})
	})
	if err != nil {
		return row, err
	}
	defer closeAll(conns)
	merr := m.end()
	after, err := settledRSS(srv.PID, 5*time.Second)
	if err != nil {
		return row, err
	}
	mem, _ := srv.Memory()
	v := row.Values
	v["rate"] = float64(n) / m.elapsed.Seconds()
	v["cpu"] = micros(m.serverCPU) / float64(n)
	v["base"] = float64(before) / (1 << 20)
	v["after"] = float64(after) / (1 << 20)
	v["per"] = (float64(after) - float64(before)) / float64(n) / 1024
	v["rss"] = float64(mem.Peak) / (1 << 20)
	v["errors"] = 0
	if srv.Exited() {
		return row, fmt.Errorf("%s exited while holding the connections: %s", server, srv.Log())
	}
	return row, merr
}

// settledRSS reads pid's RSS every 100 ms until two readings are within
// 1 % of each other, or for at most limit.
func settledRSS(pid int, limit time.Duration) (uint64, error) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	end := time.Now().Add(limit)
	prev, err := proc.ReadMemory(pid)
	if err != nil {
		return 0, err
	}
	for time.Now().Before(end) {
		<-tick.C
		cur, err := proc.ReadMemory(pid)
		if err != nil {
			return 0, err
		}
		if diff := int64(cur.RSS) - int64(prev.RSS); diff*100 <= int64(prev.RSS) && -diff*100 <= int64(prev.RSS) {
			return cur.RSS, nil
		}
		prev = cur
	}
	return prev.RSS, nil
}
