package node

import (
	"context"
	"fmt"

	"github.com/starlingmq/starling/actors/connection"
	"github.com/starlingmq/starling/actors/dispatcher"
	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/controllers/server"
	"github.com/starlingmq/starling/internal/httpws"
)

// serverController builds the server controller on this node's counters,
// with the statistics frames when stats.enabled.
func (n *Node) serverController(cfg *config.Config) api.Controller {
	if cfg.Stats.Enabled {
		n.stats = server.NewStatistics(server.StatsConfig{Interval: cfg.Stats.Interval, TTL: cfg.Stats.TTL}, n.statsCounters)
	}
	return server.Controller(server.Node{
		Started:     n.started,
		Version:     Version,
		Controllers: n.controllerNames,
		Metrics:     n.metrics,
		Stats:       n.stats,
		HTTPRoutes:  httpRoutes(),
		Cluster:     n.clusterInfo,
	})
}

// httpRoutes lists Kuzzle's HTTP routes for server:publicApi.
func httpRoutes() []server.HTTPRoute {
	routes := httpws.Routes()
	out := make([]server.HTTPRoute, len(routes))
	for i, r := range routes {
		out[i] = server.HTTPRoute{Verb: r.Verb, Path: r.Path, Controller: r.Controller, Action: r.Action}
	}
	return out
}

// startStats writes statistics frames until the node stops.
func (n *Node) startStats() {
	if n.stats == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	n.stopStats = cancel
	go n.stats.Run(ctx)
}

// statsCounters asks the dispatcher and the connection registry for the
// counters of a statistics frame.
func (n *Node) statsCounters(ctx context.Context) (server.Counters, error) {
	stats, err := n.ask(ctx, n.dispatcher, dispatcher.Stats{})
	if err != nil {
		return server.Counters{}, fmt.Errorf("dispatcher stats: %w", err)
	}
	count, err := n.ask(ctx, n.registry, connection.CountByProtocol{})
	if err != nil {
		return server.Counters{}, fmt.Errorf("connection count: %w", err)
	}
	s := stats.(dispatcher.StatsResult)
	return server.Counters{
		Ongoing:     s.Ongoing,
		Completed:   s.Completed,
		Failed:      s.Failed,
		Connections: count.(map[string]int),
	}, nil
}

// controllerNames asks the dispatcher for every controller's actions.
func (n *Node) controllerNames(ctx context.Context) (map[string][]string, error) {
	routes, err := n.ask(ctx, n.dispatcher, dispatcher.Routes{})
	if err != nil {
		return nil, fmt.Errorf("list controllers: %w", err)
	}
	return routes.(map[string][]string), nil
}

// metrics asks the dispatcher, the connection registry and realtime for
// their counters, and reads the MQTT listener's.
func (n *Node) metrics(ctx context.Context) (server.Metrics, error) {
	stats, err := n.ask(ctx, n.dispatcher, dispatcher.Stats{})
	if err != nil {
		return server.Metrics{}, fmt.Errorf("dispatcher stats: %w", err)
	}
	count, err := n.ask(ctx, n.registry, connection.CountByProtocol{})
	if err != nil {
		return server.Metrics{}, fmt.Errorf("connection count: %w", err)
	}
	rt, err := n.realtime.Stats(ctx)
	if err != nil {
		return server.Metrics{}, fmt.Errorf("realtime stats: %w", err)
	}
	s := stats.(dispatcher.StatsResult)
	refused := rt.Refused
	var gauges map[string]int64
	if n.mqtt != nil {
		m := n.mqtt.Stats()
		gauges = map[string]int64{
			"queuedBytes":      m.QueuedBytes,
			"retainedMessages": int64(m.RetainedMessages),
			"retainedBytes":    int64(m.RetainedBytes),
		}
		for reason, count := range m.Refused {
			if count > 0 {
				if refused == nil {
					refused = map[string]int64{}
				}
				refused[reason] = count
			}
		}
	}
	return server.Metrics{
		ConcurrentRequests: s.Running,
		PendingRequests:    s.Pending,
		Connections:        count.(map[string]int),
		Rooms:              rt.Rooms,
		Subscriptions:      rt.Subscriptions,
		MQTT:               gauges,
		Refused:            refused,
		Wasm:               n.wasmMetrics(),
	}, nil
}
