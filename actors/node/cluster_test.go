package node_test

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/jsonx"
)

// freePorts returns n loopback ports free when asked.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = l.Addr().(*net.TCPAddr).Port
		defer l.Close()
	}
	return ports
}

// startNodes starts n nodes as one cluster (seeds provider, every node a
// seed) and waits until each sees the others.
func startNodes(t *testing.T, n int, mutate func(i int, cfg *config.Config)) []*testServer {
	t.Helper()
	ports := freePorts(t, n)
	seeds := make([]string, n)
	for i, p := range ports {
		seeds[i] = "127.0.0.1:" + strconv.Itoa(p)
	}
	nodes := make([]*testServer, n)
	for i := range nodes {
		nodes[i] = startServer(t, func(cfg *config.Config) {
			cfg.Cluster.Enabled = true
			cfg.Cluster.Port = 0
			cfg.Cluster.MembershipPort = ports[i]
			cfg.Cluster.Seeds = seeds
			cfg.Cluster.Heartbeat = 200 * time.Millisecond
			if mutate != nil {
				mutate(i, cfg)
			}
		})
	}
	for _, s := range nodes {
		waitClusterSize(t, s, n)
	}
	return nodes
}

// clusterInfo reads server:info's cluster section.
type clusterInfo struct {
	Self     string   `json:"self"`
	Nodes    []string `json:"nodes"`
	Shipped  uint64   `json:"notificationsShipped"`
	Received uint64   `json:"notificationsReceived"`
}

// readCluster asks a node for its view of the cluster over MQTT.
func readCluster(t *testing.T, c client) clusterInfo {
	t.Helper()
	r := request(t, c, `{"controller":"server","action":"metrics"}`)
	var m struct {
		Cluster clusterInfo `json:"cluster"`
	}
	if err := jsonx.Unmarshal(r.Result, &m); err != nil || r.Status != 200 {
		t.Fatalf("server:metrics: %s", r.raw)
	}
	return m.Cluster
}

// waitClusterSize polls a node until it sees n live nodes.
func waitClusterSize(t *testing.T, s *testServer, n int) {
	t.Helper()
	c := connect3(t, s.addr)
	defer c.close()
	eventually(t, "the cluster to have "+strconv.Itoa(n)+" nodes", func() bool {
		return len(readCluster(t, c).Nodes) == n
	})
}

// eventually polls cond until it holds, failing the test past the wait
// bound; for state other nodes learn asynchronously.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitCount polls realtime:count on c until the room has n subscribers.
func waitCount(t *testing.T, c client, roomID string, n int) {
	t.Helper()
	want := `{"count":` + strconv.Itoa(n) + `}`
	eventually(t, "room "+roomID+" to count "+strconv.Itoa(n), func() bool {
		r := request(t, c, `{"controller":"realtime","action":"count","body":{"roomId":"`+roomID+`"}}`)
		return string(r.Result) == want
	})
}

// barrier publishes a marker from every node and waits until sub has
// received each, on channel: notifications sent from a node before its
// marker arrive before it, so whatever sub received in between is known.
func barrier(t *testing.T, sub client, channel string, publishers []client) {
	t.Helper()
	for i, p := range publishers {
		publish(t, p, `{"marker":`+strconv.Itoa(i)+`}`, "")
	}
	for i := range publishers {
		n := nextNotification(t, sub, channel)
		if got := n.Result.Source["marker"]; got == nil {
			t.Fatalf("notification before marker %d: %s", i, n.raw)
		}
	}
}

func TestClusterRealtimeExactlyOnce(t *testing.T) {
	nodes := startNodes(t, 3, nil)
	a, b, c := connect3(t, nodes[0].addr), connect5(t, nodes[1].addr), connect3(t, nodes[2].addr)
	// publishers, one per node, subscribed to nothing
	pa, pb, pc := connect3(t, nodes[0].addr), connect3(t, nodes[1].addr), connect5(t, nodes[2].addr)
	filter := `{"or":[{"range":{"n":{"gte":0}}},{"exists":"marker"}]}`
	onA := subscribe(t, a, filter, "")
	onB := subscribe(t, b, filter, "")
	if onA.RoomID != onB.RoomID {
		t.Fatalf("one filter, two rooms: %s and %s", onA.RoomID, onB.RoomID)
	}
	waitCount(t, c, onA.RoomID, 2)
	waitCount(t, a, onA.RoomID, 2)

	publish(t, pb, `{"n":1}`, "")
	publish(t, pc, `{"n":2}`, "")
	publish(t, pa, `{"n":3}`, "")
	publish(t, pc, `{"m":4}`, "") // matches nothing
	for _, sub := range []struct {
		c  client
		ch string
	}{{a, onA.Channel}, {b, onB.Channel}} {
		got := map[float64]int{}
		for range 3 {
			n := nextNotification(t, sub.c, sub.ch)
			if n.Type != "document" || n.Action != "publish" || n.Scope != "in" || n.Index != "i" || n.Collection != "c" {
				t.Fatalf("unexpected notification %s", n.raw)
			}
			got[n.Result.Source["n"].(float64)]++
		}
		if got[1] != 1 || got[2] != 1 || got[3] != 1 {
			t.Fatalf("notifications received: %v, want each of 1, 2, 3 once", got)
		}
		barrier(t, sub.c, sub.ch, []client{pa, pb, pc})
	}

	r := request(t, c, `{"controller":"realtime","action":"list"}`)
	if string(r.Result) != `{"i":{"c":{"`+onA.RoomID+`":2}}}` {
		t.Fatalf("list on the third node: %s", r.raw)
	}
	infoC := readCluster(t, c)
	if infoC.Shipped == 0 || len(infoC.Nodes) != 3 {
		t.Fatalf("cluster metrics of the third node: %+v", infoC)
	}
}
