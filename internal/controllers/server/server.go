package server

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/starlingmq/starling/internal/api"
)

// KuzzleVersion is the Kuzzle API version Starling speaks.
const KuzzleVersion = "2.56.0"

// Node is what the controller reports about the running server. Every
// function must be safe for concurrent use.
type Node struct {
	// Started is when the server started.
	Started time.Time
	// Version is Starling's version.
	Version string
	// Controllers lists every API controller and its actions.
	Controllers func(ctx context.Context) (map[string][]string, error)
	// Metrics returns the live counters: requests running and pending,
	// connections by protocol.
	Metrics func(ctx context.Context) (Metrics, error)
	// HTTPRoutes are Kuzzle's HTTP routes, listed under each action's
	// "http" key by publicApi and info, as Kuzzle does (the SDK's HTTP
	// protocol builds its URLs from them).
	HTTPRoutes []HTTPRoute
	// Cluster describes the cluster the node belongs to, nil on a single
	// node; shown by info and metrics.
	Cluster func() *Cluster
	// Stats keeps the statistics frames of getStats, getLastStats and
	// getAllStats; nil when stats.enabled is false
	// (services.statistics.not_available).
	Stats *Statistics
}

// Cluster is the cluster as a node sees it.
type Cluster struct {
	// Name is the cluster's name, Provider its membership provider.
	Name     string `json:"name"`
	Provider string `json:"provider"`
	// Self is this node's cluster address, Nodes every live node's
	// (Self included), sorted.
	Self  string   `json:"self"`
	Nodes []string `json:"nodes"`
	// Shipped and Received count the notifications this node sent to
	// other nodes for their subscribers, and received from them.
	Shipped  uint64 `json:"notificationsShipped"`
	Received uint64 `json:"notificationsReceived"`
	// Batches counts the messages that carried the shipped notifications;
	// Dropped those not shipped because their node had too many bytes
	// waiting (64 MiB).
	Batches uint64 `json:"batchesShipped"`
	Dropped uint64 `json:"notificationsDropped"`
}

// HTTPRoute is one HTTP route of an action.
type HTTPRoute struct {
	// Verb is the upper-case HTTP method, Path the URL pattern.
	Verb, Path string
	// Controller and Action name the action.
	Controller, Action string
}

// Metrics are the counters server:metrics reports.
type Metrics struct {
	// ConcurrentRequests is the number of actions running.
	ConcurrentRequests int
	// PendingRequests is the number of requests waiting for a slot.
	PendingRequests int
	// Connections counts live connections by protocol.
	Connections map[string]int
	// Rooms is the number of realtime rooms.
	Rooms int
	// Subscriptions is the number of connections subscribed to a room.
	Subscriptions int
	// MQTT holds the MQTT listener's gauges (queuedBytes, retainedMessages,
	// retainedBytes); reported under network.mqtt when not nil.
	MQTT map[string]int64
	// Refused counts the requests refused by a limit, by Kuzzle error id or
	// limit name (e.g. core.realtime.too_many_terms); reported under
	// "refused", {} when nil.
	Refused map[string]int64
	// Wasm holds each loaded Wasm module's counters, by module name;
	// reported under "wasm" when not nil (Wasm on).
	Wasm map[string]WasmModule
}

// WasmModule is one Wasm module's line of server:metrics.
type WasmModule struct {
	// Calls, Errors and Traps count the calls into the module since start:
	// all, those that failed, those that trapped or timed out.
	Calls  uint64 `json:"calls"`
	Errors uint64 `json:"errors"`
	Traps  uint64 `json:"traps"`
	// P50 and P99 are the calls' median and 99th percentile duration
	// since start, in milliseconds (a bucket's upper bound, ~19 % wide).
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	// Instances is how many instances are live, Memory their linear
	// memory in bytes.
	Instances int64 `json:"instances"`
	Memory    int64 `json:"memory"`
	// QuarantinedUntil is when the module's quarantine ends (Unix
	// milliseconds), null when it is not quarantined.
	QuarantinedUntil *int64 `json:"quarantinedUntil"`
}

// Controller returns the server controller reporting on node.
func Controller(node Node) api.Controller {
	return api.Controller{Name: "server", Actions: map[string]api.Action{
		"now":          now,
		"info":         node.info,
		"healthCheck":  healthCheck,
		"publicApi":    node.publicAPI,
		"metrics":      node.metrics,
		"getStats":     node.getStats,
		"getLastStats": node.getLastStats,
		"getAllStats":  node.getAllStats,
		"openapi":      node.openAPI,
	}, Immediate: immediate}
}

// immediate lets the actions that only read the clock run at once.
func immediate(action string) bool { return action == "now" || action == "healthCheck" }

func now(context.Context, *api.Request) (any, error) {
	return struct {
		Now int64 `json:"now"`
	}{time.Now().UnixMilli()}, nil
}

func healthCheck(context.Context, *api.Request) (any, error) {
	return map[string]any{"services": map[string]string{}, "status": "green"}, nil
}

// publicAPI lists every action as {controller: {action: {action, controller}}}.
func (n Node) publicAPI(ctx context.Context, _ *api.Request) (any, error) {
	return n.routes(ctx)
}

func (n Node) routes(ctx context.Context) (map[string]map[string]map[string]any, error) {
	controllers, err := n.Controllers(ctx)
	if err != nil {
		return nil, err
	}
	http := map[[2]string][]map[string]string{}
	for _, r := range n.HTTPRoutes {
		key := [2]string{r.Controller, r.Action}
		http[key] = append(http[key], map[string]string{"path": r.Path, "url": r.Path, "verb": r.Verb})
	}
	out := map[string]map[string]map[string]any{}
	for controller, actions := range controllers {
		list := map[string]map[string]any{}
		for _, action := range actions {
			list[action] = map[string]any{"action": action, "controller": controller}
			if routes := http[[2]string{controller, action}]; routes != nil {
				list[action]["http"] = routes
			}
		}
		if len(list) > 0 {
			out[controller] = list
		}
	}
	return out, nil
}

func (n Node) metrics(ctx context.Context, _ *api.Request) (any, error) {
	m, err := n.Metrics(ctx)
	if err != nil {
		return nil, fmt.Errorf("collect metrics: %w", err)
	}
	refused := m.Refused
	if refused == nil {
		refused = map[string]int64{}
	}
	network := map[string]any{"connections": m.Connections}
	if m.MQTT != nil {
		network["mqtt"] = m.MQTT
	}
	out := map[string]any{
		"api": map[string]int{
			"concurrentRequests": m.ConcurrentRequests,
			"pendingRequests":    m.PendingRequests,
		},
		"network":  network,
		"realtime": map[string]int{"rooms": m.Rooms, "subscriptions": m.Subscriptions},
		"refused":  refused,
	}
	if m.Wasm != nil {
		out["wasm"] = m.Wasm
	}
	if n.Cluster != nil {
		if c := n.Cluster(); c != nil {
			out["cluster"] = c
		}
	}
	return out, nil
}

func (n Node) info(ctx context.Context, _ *api.Request) (any, error) {
	routes, err := n.routes(ctx)
	if err != nil {
		return nil, err
	}
	free, total := systemMemory()
	uptime := time.Since(n.Started).Seconds()
	starling := map[string]any{"version": n.Version}
	if n.Cluster != nil {
		if c := n.Cluster(); c != nil {
			starling["cluster"] = c
		}
	}
	return map[string]any{"serverInfo": map[string]any{
		"kuzzle": map[string]any{
			"api":         map[string]any{"routes": routes},
			"application": map[string]any{},
			"memoryUsed":  residentMemory(),
			"nodeVersion": runtime.Version(),
			"plugins":     map[string]any{},
			"system": map[string]any{
				"cpus":   cpus(),
				"memory": map[string]uint64{"free": free, "total": total},
			},
			"uptime":   strconv.FormatFloat(uptime, 'f', 3, 64) + "s",
			"version":  KuzzleVersion,
			"starling": starling,
		},
		"services": map[string]any{},
	}}, nil
}

// residentMemory returns the process's resident set size in bytes.
func residentMemory() uint64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err == nil {
		if fields := strings.Fields(string(data)); len(fields) > 1 {
			if pages, err := strconv.ParseUint(fields[1], 10, 64); err == nil {
				return pages * uint64(os.Getpagesize())
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Sys
}

// cpus describes each CPU as {model, speed} from /proc/cpuinfo.
func cpus() []map[string]any {
	data, _ := os.ReadFile("/proc/cpuinfo")
	var out []map[string]any
	var model string
	for _, line := range strings.Split(string(data), "\n") {
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		switch key {
		case "model name":
			model = value
		case "cpu MHz":
			speed, _ := strconv.ParseFloat(value, 64)
			out = append(out, map[string]any{"model": model, "speed": int(speed)})
		}
	}
	if len(out) == 0 {
		for range runtime.NumCPU() {
			out = append(out, map[string]any{"model": runtime.GOARCH, "speed": 0})
		}
	}
	return out
}
