package node

import (
	"context"
	"fmt"
	"net/http"

	"github.com/starlingmq/starling/internal/metrics"
)

// writerStats is what the SQL store tells about its commits.
type writerStats interface {
	WriterStats() (commits, writes int64)
}

// MetricsHandler serves the node's metrics in Prometheus's text format, for
// GET /metrics. Scraping it asks the node's actors for their counters, as
// server:metrics does; requests and notifications are counted as they go.
func (n *Node) MetricsHandler() http.Handler {
	return n.exporter.Handler()
}

// newExporter returns the node's Prometheus metrics, reading the node's
// counters at each scrape.
func (n *Node) newExporter() *metrics.Metrics {
	return metrics.New(n.metricsSnapshot)
}

// metricsSnapshot reads the counters server:metrics reports, and the
// store's commits.
func (n *Node) metricsSnapshot(ctx context.Context) (metrics.Snapshot, error) {
	m, err := n.metrics(ctx)
	if err != nil {
		return metrics.Snapshot{}, fmt.Errorf("read the node's counters: %w", err)
	}
	s := metrics.Snapshot{
		Connections:     m.Connections,
		RunningRequests: m.ConcurrentRequests,
		PendingRequests: m.PendingRequests,
		Rooms:           m.Rooms,
		Subscriptions:   m.Subscriptions,
		QueuedBytes:     m.MQTT["queuedBytes"],
		// A client is disconnected for falling behind when its own queue
		// or every client's together is full.
		SlowClientDisconnects: m.Refused["mqtt.maxPending"] + m.Refused["mqtt.maxTotalPendingBytes"],
		Refused:               m.Refused,
	}
	if m.Wasm != nil {
		s.Wasm = make(map[string]metrics.WasmModule, len(m.Wasm))
		for name, w := range m.Wasm {
			s.Wasm[name] = metrics.WasmModule{
				Traps: w.Traps, MemoryBytes: w.Memory, Instances: w.Instances, Quarantined: w.QuarantinedUntil != nil,
			}
		}
		if n.wasm != nil {
			s.WasmHookDrops = n.wasm.HookDrops()
		}
	}
	if w, ok := n.store.(writerStats); ok {
		s.StoreCommits, s.StoreWrites = w.WriterStats()
	}
	return s, nil
}
