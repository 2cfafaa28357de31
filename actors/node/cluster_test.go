//go:build !race

// The tests of this file run several cluster nodes in one process, which
// protoactor's cluster does not allow under the race detector: it writes
// state it reads without locks (remote.BlockList when a member leaves;
// grpclog's global logger, set by every node's Remote.Start). .ci/run runs
// them in a pass of their own without it.

package node_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/etcdtest"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/nettest"
	"github.com/starlingmq/starling/internal/store/storetest"
)

// startNodes starts n nodes as one cluster (seeds provider, every node a
// seed) and waits until each sees the others.
func startNodes(t *testing.T, n int, mutate func(i int, cfg *config.Config)) []*testServer {
	t.Helper()
	ports := nettest.FreePorts(t, n)
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
	r = request(t, c, `{"controller":"server","action":"info"}`)
	var info struct {
		ServerInfo struct {
			Kuzzle struct {
				Starling struct {
					Cluster clusterInfo `json:"cluster"`
				} `json:"starling"`
			} `json:"kuzzle"`
		} `json:"serverInfo"`
	}
	if err := jsonx.Unmarshal(r.Result, &info); err != nil || len(info.ServerInfo.Kuzzle.Starling.Cluster.Nodes) != 3 ||
		info.ServerInfo.Kuzzle.Starling.Cluster.Self != infoC.Self {
		t.Fatalf("server:info of the third node: %.500s", r.raw)
	}
}

func TestClusterUserNotifications(t *testing.T) {
	const delay = 300 * time.Millisecond
	nodes := startNodes(t, 3, func(i int, cfg *config.Config) { cfg.Server.MQTT.DisconnectDelay = delay })
	watcher := connect3(t, nodes[0].addr)
	s := subscribe(t, watcher, `{"equals":{"k":"users"}}`, `,"users":"all"`)
	visitor := connect5(t, nodes[1].addr)
	waitCount(t, visitor, s.RoomID, 1)
	subscribe(t, visitor, `{"equals":{"k":"users"}}`, `,"scope":"in","volatile":{"who":"visitor"}`)
	n := nextNotification(t, watcher, s.Channel)
	if n.Type != "user" || n.User != "in" || n.Result.Count != 2 || n.Action != "subscribe" || string(n.Volatile) != `{"who":"visitor"}` || n.Protocol != "mqtt" {
		t.Fatalf("unexpected user notification %s", n.raw)
	}
	joiner := connect3(t, nodes[2].addr)
	waitCount(t, joiner, s.RoomID, 2)
	r := request(t, joiner, `{"controller":"realtime","action":"join","body":{"roomId":"`+s.RoomID+`"},"scope":"out","volatile":{"who":"joiner"}}`)
	if r.Status != 200 {
		t.Fatalf("join on the third node: %s", r.raw)
	}
	if n := nextNotification(t, watcher, s.Channel); n.User != "in" || n.Result.Count != 3 || string(n.Volatile) != `{"who":"joiner"}` {
		t.Fatalf("unexpected user notification %s", n.raw)
	}

	// The visitor's connection ends: its node tells the others after its
	// disconnect delay.
	visitor.close()
	left := time.Now()
	n = nextNotification(t, watcher, s.Channel)
	if n.User != "out" || n.Result.Count != 2 || n.Action != "unsubscribe" || string(n.Volatile) != `{"who":"visitor"}` {
		t.Fatalf("unexpected user notification %s", n.raw)
	}
	if gone := time.Since(left); gone < delay {
		t.Fatalf("the room saw the client leave after %s, before the %s delay", gone, delay)
	}

	// The third node leaves the cluster: its subscriptions go with it.
	if err := nodes[2].node.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	n = nextNotification(t, watcher, s.Channel)
	if n.User != "out" || n.Result.Count != 1 || string(n.Volatile) != `{"who":"joiner"}` {
		t.Fatalf("unexpected user notification %s", n.raw)
	}
	waitClusterSize(t, nodes[0], 2)
	if r := request(t, watcher, `{"controller":"realtime","action":"count","body":{"roomId":"`+s.RoomID+`"}}`); string(r.Result) != `{"count":1}` {
		t.Fatalf("count after the third node left: %s", r.raw)
	}
}

func TestClusterDocumentNotifications(t *testing.T) {
	nodes := startNodes(t, 3, nil)
	clients := make([]client, len(nodes))
	for i, s := range nodes {
		clients[i] = connect3(t, s.addr)
		// each node has a store of its own here: the collection is made on each
		for _, q := range []string{
			`{"controller":"index","action":"create","index":"shop"}`,
			`{"controller":"collection","action":"create","index":"shop","collection":"items"}`,
		} {
			if r := request(t, clients[i], q); r.Status != 200 {
				t.Fatalf("node %d: %s", i, r.raw)
			}
		}
	}
	watcher := connect5(t, nodes[0].addr)
	r := request(t, watcher, `{"controller":"realtime","action":"subscribe","index":"shop","collection":"items","body":{"range":{"price":{"lt":10}}},"scope":"all"}`)
	var s sub
	if err := jsonx.Unmarshal(r.Result, &s); err != nil || r.Status != 200 {
		t.Fatalf("subscribe: %s", r.raw)
	}
	watcher.subscribe(s.Channel)
	waitCount(t, clients[1], s.RoomID, 1)
	waitCount(t, clients[2], s.RoomID, 1)

	request(t, clients[1], `{"controller":"document","action":"create","index":"shop","collection":"items","_id":"cheap","body":{"price":5},"requestId":"on-b"}`)
	request(t, clients[2], `{"controller":"document","action":"create","index":"shop","collection":"items","_id":"dear","body":{"price":50}}`)
	request(t, clients[2], `{"controller":"document","action":"create","index":"shop","collection":"items","_id":"moved","body":{"price":1}}`)
	request(t, clients[2], `{"controller":"document","action":"update","index":"shop","collection":"items","_id":"moved","body":{"price":100},"requestId":"on-c"}`)
	want := []struct{ id, action, scope, requestID string }{
		{"cheap", "create", "in", "on-b"},
		{"moved", "create", "in", ""},
		{"moved", "update", "out", "on-c"},
	}
	got := map[string]int{}
	for range want {
		n := nextNotification(t, watcher, s.Channel)
		got[n.Result.ID+"/"+n.Action+"/"+n.Scope]++
		if n.Type != "document" || n.Index != "shop" || n.Collection != "items" {
			t.Fatalf("unexpected notification %s", n.raw)
		}
		if n.Result.ID == "cheap" && (n.RequestID != "on-b" || n.Result.Source["price"] != float64(5)) {
			t.Fatalf("notification of the write on the second node: %s", n.raw)
		}
	}
	for _, w := range want {
		if got[w.id+"/"+w.action+"/"+w.scope] != 1 {
			t.Fatalf("notifications %v, want each of %v once", got, want)
		}
	}
}

func TestClusterRejoin(t *testing.T) {
	ports := nettest.FreePorts(t, 3)
	seeds := make([]string, 3)
	for i, p := range ports {
		seeds[i] = "127.0.0.1:" + strconv.Itoa(p)
	}
	conf := func(i int) func(*config.Config) {
		return func(cfg *config.Config) {
			cfg.Cluster.Enabled, cfg.Cluster.Port, cfg.Cluster.MembershipPort = true, 0, ports[i]
			cfg.Cluster.Seeds, cfg.Cluster.Heartbeat = seeds, 200*time.Millisecond
		}
	}
	nodes := []*testServer{startServer(t, conf(0)), startServer(t, conf(1)), startServer(t, conf(2))}
	waitClusterSize(t, nodes[0], 3)
	watcher := connect3(t, nodes[0].addr)
	s := subscribe(t, watcher, `{}`, "")
	if err := nodes[2].node.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitClusterSize(t, nodes[0], 2)
	nodes[2] = startServer(t, conf(2))
	waitClusterSize(t, nodes[0], 3)
	back := connect5(t, nodes[2].addr)
	waitCount(t, back, s.RoomID, 1)
	publish(t, back, `{"from":"back"}`, "")
	if n := nextNotification(t, watcher, s.Channel); n.Result.Source["from"] != "back" {
		t.Fatalf("unexpected notification %s", n.raw)
	}
}

func TestClusterOnEtcd(t *testing.T) {
	etcd := etcdtest.Run(t)
	nodes := make([]*testServer, 3)
	for i := range nodes {
		nodes[i] = startServer(t, func(cfg *config.Config) {
			cfg.Cluster.Enabled, cfg.Cluster.Port, cfg.Cluster.Provider = true, 0, "etcd"
			cfg.Cluster.Etcd.Endpoints, cfg.Cluster.Etcd.Prefix = etcd.Endpoints(), "/starling-test"
		})
	}
	for _, s := range nodes {
		waitClusterSize(t, s, 3)
	}
	a, b := connect3(t, nodes[0].addr), connect5(t, nodes[2].addr)
	s := subscribe(t, a, `{"equals":{"via":"etcd"}}`, `,"users":"out"`)
	sb := subscribe(t, b, `{"equals":{"via":"etcd"}}`, `,"scope":"in"`)
	waitCount(t, connect3(t, nodes[1].addr), s.RoomID, 2)
	publish(t, connect3(t, nodes[1].addr), `{"via":"etcd"}`, "")
	for _, c := range []struct {
		c  client
		ch string
	}{{a, s.Channel}, {b, sb.Channel}} {
		if n := nextNotification(t, c.c, c.ch); n.Type != "document" || n.Result.Source["via"] != "etcd" {
			t.Fatalf("unexpected notification %s", n.raw)
		}
	}
	// A node leaving deregisters from etcd: the others see it go.
	if err := nodes[2].node.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := nextNotification(t, a, s.Channel); n.User != "out" || n.Result.Count != 1 {
		t.Fatalf("unexpected notification %s", n.raw)
	}
	waitClusterSize(t, nodes[0], 2)
}

// TestClusterSharesStoredState runs the two-node coherence checks on two
// nodes of a real cluster on one PostgreSQL database: their changes travel
// as cluster events.
func TestClusterSharesStoredState(t *testing.T) {
	url := storetest.Database(t, pg)
	for _, check := range []struct {
		name string
		run  func(*testing.T, client, client)
	}{{"catalogue", shareTheCatalogue}, {"security", shareSecurity}} {
		t.Run(check.name, func(t *testing.T) {
			nodes := startNodes(t, 2, func(_ int, cfg *config.Config) {
				cfg.Storage.Engine, cfg.Storage.Postgres.URL = "postgres", url
				cfg.Limits.LoginsPerSecond = 100
			})
			check.run(t, responseClient(t, nodes[0]), responseClient(t, nodes[1]))
		})
	}
}

// TestClusterCarriesLargeState joins a node to one holding more
// subscriptions than one transport message carries, then ships it a
// notification larger than gRPC's default message bound.
func TestClusterCarriesLargeState(t *testing.T) {
	ports := nettest.FreePorts(t, 2)
	seeds := []string{"127.0.0.1:" + strconv.Itoa(ports[0]), "127.0.0.1:" + strconv.Itoa(ports[1])}
	conf := func(i int) func(*config.Config) {
		return func(cfg *config.Config) {
			cfg.Cluster.Enabled, cfg.Cluster.Port, cfg.Cluster.MembershipPort = true, 0, ports[i]
			cfg.Cluster.Seeds, cfg.Cluster.Heartbeat = seeds, 200*time.Millisecond
			cfg.Server.MaxRequestSize = 8 << 20
		}
	}
	a := startServer(t, conf(0))
	volatile := `{"pad":"` + strings.Repeat("v", 2000) + `"}`
	const rooms = 3000 // 6 MB of volatile data
	watcher := connect3(t, a.addr)
	first := subscribe(t, watcher, `{"equals":{"n":0}}`, "")
	for c := range rooms / 1000 {
		cl := connect3(t, a.addr)
		for i := range 1000 {
			n := c*1000 + i + 1
			r := request(t, cl, `{"controller":"realtime","action":"subscribe","index":"i","collection":"c","body":{"equals":{"n":`+
				strconv.Itoa(n)+`}},"volatile":`+volatile+`}`)
			if r.Status != 200 {
				t.Fatalf("subscribe %d: %s", n, r.raw)
			}
		}
	}
	b := startServer(t, conf(1))
	waitClusterSize(t, b, 2)
	cb := connect3(t, b.addr)
	eventually(t, "the second node to know every room", func() bool {
		r := request(t, cb, `{"controller":"realtime","action":"list"}`)
		var list map[string]map[string]map[string]int
		return jsonx.Unmarshal(r.Result, &list) == nil && len(list["i"]["c"]) == rooms+1
	})
	publish(t, cb, `{"n":0,"pad":"`+strings.Repeat("p", 6<<20)+`"}`, "")
	if n := nextNotification(t, watcher, first.Channel); len(n.raw) < 6<<20 || n.Result.Source["n"] != float64(0) {
		t.Fatalf("the large notification: %d bytes", len(n.raw))
	}
}
