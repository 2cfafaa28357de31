package node

import (
	"context"
	"fmt"

	"github.com/starlingmq/starling/actors/cluster"
	"github.com/starlingmq/starling/actors/realtime/roommsg"
	"github.com/starlingmq/starling/internal/coherence"
	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/controllers/server"
)

// startCluster joins the cluster when cluster.enabled is set: the rooms
// actor learns every membership change, and the events other nodes
// broadcast are applied here.
func (n *Node) startCluster(cfg config.Cluster, maxRequestSize int) error {
	if !cfg.Enabled {
		return nil
	}
	rooms := n.realtime.Rooms()
	k, err := cluster.Start(n.system, cluster.Options{
		Config: cfg,
		Logger: n.log,
		OnChange: func(m cluster.Membership) {
			n.system.Root.Send(rooms, roommsg.Peers{Self: m.Self, Addresses: m.Peers})
		},
		OnEvent: n.clusterEvent,
		// a batch of notifications, each up to a request's size
		MaxMessageBytes: 64<<20 + 32*maxRequestSize,
	})
	if err != nil {
		return fmt.Errorf("join the cluster: %w", err)
	}
	n.cluster = k
	n.clusterCfg = cfg
	n.emitChanges(func(c coherence.Change) {
		data, err := c.Marshal()
		if err != nil {
			n.log.Error("a change could not be sent to the other nodes", "change", c.String(), "error", err)
			return
		}
		k.Broadcast(changeEvent, "", data)
	})
	return nil
}

// changeEvent is the kind of the cluster events that carry a change of
// stored state (internal/coherence).
const changeEvent = "change"

// clusterEvent applies an event another node broadcast.
func (n *Node) clusterEvent(e *cluster.Event) {
	if e.Kind != changeEvent {
		n.log.Warn("a cluster event of an unknown kind was ignored", "from", e.Node, "kind", e.Kind)
		return
	}
	c, err := coherence.Unmarshal(e.Data)
	if err != nil {
		n.log.Warn("a change sent by another node could not be read", "from", e.Node, "error", err)
		return
	}
	n.clusterChange(c)
}

// stopCluster leaves the cluster, if the node joined one.
func (n *Node) stopCluster(ctx context.Context) error {
	if n.cluster == nil {
		return nil
	}
	n.emitChanges(nil)
	return n.cluster.Stop(ctx)
}

// clusterInfo describes the cluster for server:info and server:metrics;
// nil on a single node.
func (n *Node) clusterInfo() *server.Cluster {
	if n.cluster == nil {
		return nil
	}
	m := n.cluster.Membership()
	s := n.realtime.ClusterStats()
	return &server.Cluster{
		Name: n.clusterCfg.Name, Provider: n.clusterCfg.Provider, Self: m.Self, Nodes: append([]string{m.Self}, m.Peers...),
		Shipped: s.Shipped, Received: s.Received, Batches: s.Batches, Dropped: s.Dropped,
	}
}

// ClusterAddress returns the node's cluster address, "" when it is not a
// cluster member.
func (n *Node) ClusterAddress() string {
	if n.cluster == nil {
		return ""
	}
	return n.cluster.Self()
}
