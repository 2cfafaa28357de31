package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/starlingmq/starling/bench/internal/mqttc"
	"github.com/starlingmq/starling/internal/nettest"
)

// clusterInfo is the cluster section of a node's server:metrics; empty on
// a node that is no cluster's.
type clusterInfo struct {
	Self     string   `json:"self"`
	Nodes    []string `json:"nodes"`
	Shipped  uint64   `json:"notificationsShipped"`
	Received uint64   `json:"notificationsReceived"`
}

// startNodes starts n Starling nodes as one cluster (cluster.enabled, the
// seeds provider on a free membership port per node, every node a seed,
// cluster.port 0) and waits until each node's server:metrics lists n
// nodes. n == 1 starts a plain node, no cluster's. On an error it stops
// the nodes it started.
func (h *Harness) startNodes(ctx context.Context, n int, heartbeat time.Duration, extra ...string) ([]*Server, error) {
	if n == 1 {
		srv, err := h.Env.Start(ctx, Starling, extra...)
		if err != nil {
			return nil, err
		}
		return []*Server{srv}, nil
	}
	// membership ports below the ephemeral range: no connection takes
	// one before its node binds it
	ports, err := nettest.Ports(n)
	if err != nil {
		return nil, err
	}
	seeds := make([]string, n)
	for i, p := range ports {
		seeds[i] = strconv.Quote("127.0.0.1:" + strconv.Itoa(p))
	}
	var nodes []*Server
	for i := range n {
		env := append([]string{
			"kuzzle_cluster__enabled=true",
			"kuzzle_cluster__port=0",
			"kuzzle_cluster__membershipPort=" + strconv.Itoa(ports[i]),
			"kuzzle_cluster__seeds=*json:[" + strings.Join(seeds, ",") + "]",
			"kuzzle_cluster__heartbeat=" + strconv.FormatInt(heartbeat.Milliseconds(), 10),
		}, extra...)
		srv, err := h.Env.Start(ctx, Starling, env...)
		if err != nil {
			stopAll(nodes)
			return nil, fmt.Errorf("cluster node %d: %w", i+1, err)
		}
		nodes = append(nodes, srv)
	}
	deadline := time.Now().Add(startTimeout + 20*heartbeat)
	for i, srv := range nodes {
		if err := waitMembers(ctx, srv, n, deadline); err != nil {
			stopAll(nodes)
			return nil, fmt.Errorf("cluster node %d: %w", i+1, err)
		}
	}
	return nodes, nil
}

func stopAll(nodes []*Server) {
	for _, s := range nodes {
		s.Stop()
	}
}

// waitMembers polls srv's server:metrics until it lists n nodes.
func waitMembers(ctx context.Context, srv *Server, n int, deadline time.Time) error {
	c, err := mqttc.Dial(srv.Addr, mqttc.Options{ClientID: "bench-members"})
	if err != nil {
		return err
	}
	defer c.Close()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		info, err := readCluster(c)
		switch {
		case err != nil:
			return err
		case len(info.Nodes) == n:
			return nil
		case srv.Exited():
			return fmt.Errorf("exited: %s", srv.Log())
		case time.Now().After(deadline):
			return fmt.Errorf("sees %d nodes of %d after the set-up deadline", len(info.Nodes), n)
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// readCluster asks the node of c for its server:metrics' cluster section.
func readCluster(c *mqttc.Conn) (clusterInfo, error) {
	resp, err := request(c, []byte(`{"controller":"server","action":"metrics","requestId":"bench-metrics"}`), 10*time.Second)
	if err != nil {
		return clusterInfo{}, fmt.Errorf("server:metrics: %w", err)
	}
	var m struct {
		Result struct {
			Cluster clusterInfo `json:"cluster"`
		} `json:"result"`
	}
	if err := json.Unmarshal(resp, &m); err != nil {
		return clusterInfo{}, fmt.Errorf("server:metrics response: %w", err)
	}
	return m.Result.Cluster, nil
}

// shippedTotal sums the nodes' notificationsShipped counters (0 on a
// plain node), each read on a connection of its own.
func shippedTotal(nodes []*Server) (uint64, error) {
	var total uint64
	for i, srv := range nodes {
		c, err := mqttc.Dial(srv.Addr, mqttc.Options{ClientID: "bench-metrics-" + strconv.Itoa(i)})
		if err != nil {
			return 0, err
		}
		info, err := readCluster(c)
		c.Close()
		if err != nil {
			return 0, fmt.Errorf("node %d: %w", i+1, err)
		}
		total += info.Shipped
	}
	return total, nil
}

// waitRoomCount polls realtime:count of roomID on c until it is n: the
// room's subscribers on every node, once the other nodes' have reached
// this one.
func waitRoomCount(ctx context.Context, c *mqttc.Conn, roomID string, n int, deadline time.Time) error {
	want := []byte(`"count":` + strconv.Itoa(n) + `}`)
	req := []byte(`{"controller":"realtime","action":"count","requestId":"bench-count","body":{"roomId":"` + roomID + `"}}`)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := request(c, req, time.Until(deadline))
		if err != nil {
			return fmt.Errorf("realtime:count: %w", err)
		}
		if strings.Contains(string(resp), string(want)) {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("room " + roomID + ": " + strconv.Itoa(n) + " subscribers not counted by the set-up deadline: " + string(resp))
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
