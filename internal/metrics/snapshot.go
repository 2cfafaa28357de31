package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Snapshot is what a server's own counters say at one scrape.
type Snapshot struct {
	// Connections counts live connections by protocol.
	Connections map[string]int
	// RunningRequests is the number of actions running; PendingRequests
	// the number waiting for a slot.
	RunningRequests, PendingRequests int
	// Rooms and Subscriptions are realtime's gauges: rooms, and
	// connections in at least one room.
	Rooms, Subscriptions int
	// QueuedBytes is what every MQTT client's queue holds together.
	QueuedBytes int64
	// SlowClientDisconnects counts the clients disconnected for falling
	// behind (their own queue or the server's total full) since start.
	SlowClientDisconnects int64
	// Refused counts the requests, packets and connections refused by a
	// limit since start, by reason (a Kuzzle error id or a limit name).
	Refused map[string]int64
	// StoreCommits and StoreWrites count the document store's commits
	// since start and the write operations they held.
	StoreCommits, StoreWrites int64
	// Wasm holds each loaded Wasm module's gauges and trap counter, by
	// module name; nil when Wasm is off.
	Wasm map[string]WasmModule
	// WasmHookDrops counts the hook events dropped since start because the
	// hook queue (plugins.common.hookQueue) was full; reported when Wasm
	// is on (Wasm not nil).
	WasmHookDrops int64
}

// WasmModule is what a scrape reports about one Wasm module beyond its
// calls (which the Observer counts as they happen).
type WasmModule struct {
	// Traps counts the calls that trapped or timed out since start.
	Traps uint64
	// MemoryBytes is the linear memory of its live instances; Instances
	// their number.
	MemoryBytes, Instances int64
	// Quarantined is true while the module is quarantined.
	Quarantined bool
}

// Source reads a Snapshot; it is called at each scrape and should answer
// well within scrapeTimeout.
type Source func(ctx context.Context) (Snapshot, error)

// scrapeTimeout bounds one call of a Source.
const scrapeTimeout = 5 * time.Second

// snapshotCollector turns a Source into metrics at scrape time: nothing is
// counted twice and nothing costs anything between scrapes.
type snapshotCollector struct {
	source                            Source
	connections, running, pending     *prometheus.Desc
	rooms, subscriptions, queuedBytes *prometheus.Desc
	slow, refused, commits, writes    *prometheus.Desc
	wasmTraps, wasmMemory             *prometheus.Desc
	wasmInstances, wasmQuarantined    *prometheus.Desc
	wasmHookDrops                     *prometheus.Desc
}

func newSnapshotCollector(source Source) *snapshotCollector {
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, labels, nil)
	}
	return &snapshotCollector{
		source:        source,
		connections:   desc("connections", "Live connections, by protocol.", "protocol"),
		running:       desc("requests_running", "API actions running."),
		pending:       desc("requests_pending", "API requests waiting for an action slot (limits.requestsBufferSize bounds them)."),
		rooms:         desc("rooms", "Realtime rooms."),
		subscriptions: desc("subscriptions", "Connections subscribed to at least one realtime room."),
		queuedBytes:   desc("mqtt_queued_bytes", "Bytes queued for every MQTT client together."),
		slow:          desc("slow_client_disconnects_total", "Clients disconnected for falling behind their notifications and answers."),
		refused:       desc("refused_total", "Requests, packets and connections refused by a limit, by reason.", "reason"),
		commits:       desc("store_commits_total", "Document store commits (each may group several writers)."),
		writes:        desc("store_writes_total", "Document store write operations committed."),

		wasmTraps:       desc("wasm_traps_total", "Calls into Wasm modules that trapped or timed out (the instance was replaced), by module.", "module"),
		wasmMemory:      desc("wasm_memory_bytes", "Linear memory of a Wasm module's live instances, by module.", "module"),
		wasmInstances:   desc("wasm_instances", "Live instances of a Wasm module, by module.", "module"),
		wasmQuarantined: desc("wasm_quarantined", "1 while a Wasm module is quarantined for trapping, 0 otherwise, by module.", "module"),
		wasmHookDrops:   desc("wasm_hook_drops_total", "Events whose Wasm hooks did not run because the hook queue (plugins.common.hookQueue) was full."),
	}
}

// Describe sends every metric's description.
func (c *snapshotCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.connections, c.running, c.pending, c.rooms, c.subscriptions,
		c.queuedBytes, c.slow, c.refused, c.commits, c.writes,
		c.wasmTraps, c.wasmMemory, c.wasmInstances, c.wasmQuarantined, c.wasmHookDrops} {
		ch <- d
	}
}

// Collect reads the source once and sends its values; a failing source
// sends one invalid metric, which the handler reports and skips.
func (c *snapshotCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	s, err := c.source(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.connections, err)
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	for protocol, n := range s.Connections {
		gauge(c.connections, float64(n), protocol)
	}
	gauge(c.running, float64(s.RunningRequests))
	gauge(c.pending, float64(s.PendingRequests))
	gauge(c.rooms, float64(s.Rooms))
	gauge(c.subscriptions, float64(s.Subscriptions))
	gauge(c.queuedBytes, float64(s.QueuedBytes))
	counter(c.slow, float64(s.SlowClientDisconnects))
	for reason, n := range s.Refused {
		counter(c.refused, float64(n), reason)
	}
	counter(c.commits, float64(s.StoreCommits))
	counter(c.writes, float64(s.StoreWrites))
	for module, w := range s.Wasm {
		counter(c.wasmTraps, float64(w.Traps), module)
		gauge(c.wasmMemory, float64(w.MemoryBytes), module)
		gauge(c.wasmInstances, float64(w.Instances), module)
		quarantined := 0.0
		if w.Quarantined {
			quarantined = 1
		}
		gauge(c.wasmQuarantined, quarantined, module)
	}
	if s.Wasm != nil {
		counter(c.wasmHookDrops, float64(s.WasmHookDrops))
	}
}
