package main

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// ClusterConfig is the cluster scenario: realtime fan-out across the nodes
// of a cluster against the same load on one node, then the documents
// phases on a Starling storing in PostgreSQL against one storing in
// SQLite.
type ClusterConfig struct {
	// Nodes is the cluster's size.
	Nodes int
	// Subscribers of the shared filter, spread evenly over the nodes.
	Subscribers int
	// Filters registered besides the subscribers' one, spread over the
	// nodes (every node holds every room).
	Filters int
	// Publishers, spread evenly over the nodes.
	Publishers int
	// Rate is the publishes per second of the fixed-rate case, all
	// publishers together.
	Rate int
	// Window is the flat-out case's publishes per publisher whose
	// notification a subscriber of another node has not yet received.
	Window int
	// Duration of publishing per case; Drain bounds the wait for late
	// deliveries.
	Duration, Drain time.Duration
	// Heartbeat is cluster.heartbeat.
	Heartbeat time.Duration
	// Repeat runs each case this many times, cluster and single node
	// interleaved, and keeps the median run.
	Repeat int
	// Documents sizes the PostgreSQL/SQLite half: its preload, create and
	// search (64 in flight) phases.
	Documents DocumentsConfig
}

// Server names of the cluster scenario's rows.
const (
	clusterServer = "cluster"
	singleServer  = "single"
	pgServer      = "postgres"
	sqliteServer  = "sqlite"
)

// clusterDefaults are the cluster scenario's sizes.
func clusterDefaults(quick bool) ClusterConfig {
	c := ClusterConfig{Nodes: 3, Subscribers: 300, Filters: 10000, Publishers: 3, Rate: 100, Window: 8,
		Duration: 10 * time.Second, Drain: 5 * time.Second, Heartbeat: 500 * time.Millisecond}
	c.Documents = documentsDefaults(quick)
	c.Documents.Docs = 100_000
	if quick {
		c.Duration, c.Drain = 4*time.Second, 3*time.Second
		c.Documents.Docs = 20_000
	}
	return c
}

// clusterColumns are the fan-out table's figures, with one CPU column per
// node.
func clusterColumns(nodes int) []Column {
	cols := []Column{
		{Key: "pubs", Header: "publishes/s"},
		{Key: "rate", Header: "deliveries/s", Chart: true},
		{Key: "p50", Header: "p50 µs", Lower: true},
		{Key: "p99", Header: "p99 µs", Lower: true, Chart: true},
		{Key: "cpu", Header: "CPU µs/delivery, all nodes", Lower: true, Chart: true},
	}
	for i := range nodes {
		cols = append(cols, Column{Key: "cpu" + strconv.Itoa(i+1), Header: "node " + strconv.Itoa(i+1) + " CPU µs/delivery", Lower: true})
	}
	return append(cols,
		Column{Key: "cross", Header: "cross-node msgs/publish", Lower: true},
		Column{Key: "errors", Header: "errors", Lower: true},
		Column{Key: "lost", Header: "lost", Lower: true},
		Column{Key: "lg", Header: "loadgen CPU %", Lower: true},
	)
}

// Cluster runs the cluster scenario and returns its two tables: fan-out
// across nodes (cluster/single) and documents on PostgreSQL
// (postgres/sqlite).
func (h *Harness) Cluster(ctx context.Context, cfg ClusterConfig) []*Report {
	return []*Report{h.clusterFanout(ctx, cfg), h.clusterDocuments(ctx, cfg)}
}

// clusterFanout runs the fan-out cases on the cluster and on one node.
func (h *Harness) clusterFanout(ctx context.Context, cfg ClusterConfig) *Report {
	rep := h.newReport("cluster", fmt.Sprintf("realtime fan-out across %d nodes vs one node: %d subscribers of one filter, %d publishers, %s other filters",
		cfg.Nodes, cfg.Subscribers, cfg.Publishers, group(int64(cfg.Filters))), clusterColumns(cfg.Nodes))
	rep.Lead = clusterServer
	for _, rate := range []int{cfg.Rate, 0} {
		label := fmt.Sprintf("%s pub/s", group(int64(rate)))
		if rate == 0 {
			label = fmt.Sprintf("flat out (%d ahead per publisher)", cfg.Window)
		}
		runs := map[string][]Row{}
		for range max(cfg.Repeat, 1) {
			for _, server := range []string{clusterServer, singleServer} {
				nodes := cfg.Nodes
				if server == singleServer {
					nodes = 1
				}
				row, err := h.clusterFanoutCase(ctx, cfg, nodes, rate)
				row.Case, row.Server = label, server
				if err != nil {
					row.Note = err.Error()
					h.Log.Error("cluster fan-out case failed", "case", label, "server", server, "err", err)
				}
				runs[server] = append(runs[server], row)
			}
		}
		for _, server := range []string{clusterServer, singleServer} {
			rep.Add(medianRow(runs[server], "cpu"))
		}
	}
	if cfg.Repeat > 1 {
		rep.Note("each row is the run with the median CPU µs/delivery of %d runs, cluster and single node interleaved", cfg.Repeat)
	}
	rep.Note("cluster: %d Starling nodes (seeds provider, heartbeat %s), subscriber i and publisher i on node i mod %d; single: one Starling, no cluster, every client on it. "+
		"Publishers send realtime:publish requests with %s; a fixed-rate case paces all publishers together, the flat-out case lets each publisher be %d publishes ahead of a subscriber on another node.",
		cfg.Nodes, cfg.Heartbeat, cfg.Nodes, fanoutFilter, cfg.Window)
	rep.Note("deliveries/s: notifications the subscribers received per second; latency: publish to delivery; CPU µs/delivery: server CPU (/proc) over deliveries, all nodes and each; " +
		"cross-node msgs/publish: the nodes' notificationsShipped (server:metrics) over publishes; lost: deliveries expected (publishes × subscribers) and not received.")
	return rep
}
