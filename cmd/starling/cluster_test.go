package main

import (
	"encoding/binary"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/etcdtest"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/nettest"
	"github.com/starlingmq/starling/internal/store/storetest"
)

// postgresCluster starts a throw-away PostgreSQL cluster for the test; it
// skips when PostgreSQL is not installed, unless STARLING_REQUIRE_ALL=1.
func postgresCluster(t *testing.T) *storetest.Cluster {
	t.Helper()
	pg, err := storetest.StartCluster()
	if errors.Is(err, storetest.ErrNoPostgres) && os.Getenv("STARLING_REQUIRE_ALL") != "1" {
		t.Skip(err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pg.Stop() })
	return pg
}

// clusterNode is one starling process of a test cluster.
type clusterNode struct {
	p    *process
	addr string // MQTT
	env  []string
}

// clusterEnv is the environment of node i of a cluster whose membership
// ports are ports (the seeds provider) or whose etcd is at etcd, keeping
// documents in the database at url.
func clusterEnv(ports []int, etcd string, i int, url string) []string {
	seeds := make([]string, len(ports))
	for j, p := range ports {
		seeds[j] = `"127.0.0.1:` + strconv.Itoa(p) + `"`
	}
	membership := []string{
		"kuzzle_cluster__membershipPort=" + strconv.Itoa(ports[i]),
		"kuzzle_cluster__seeds=*json:[" + strings.Join(seeds, ",") + "]",
	}
	if etcd != "" {
		membership = []string{"kuzzle_cluster__provider=etcd", `kuzzle_cluster__etcd__endpoints=*json:["` + etcd + `"]`}
	}
	return append([]string{
		"kuzzle_server__protocols__mqtt__server__port=0",
		"kuzzle_server__protocols__mqtt__server__host=127.0.0.1",
		"kuzzle_security__authToken__secret=cluster-test-secret",
		"kuzzle_storage__engine=postgres",
		"kuzzle_storage__postgres__url=" + url,
		"kuzzle_cluster__port=0",
		"kuzzle_cluster__heartbeat=300",
	}, membership...)
}

// startNode starts a node with --cluster and waits for its MQTT address;
// its log is read on until it exits, so that it never blocks on stderr.
func startNode(t *testing.T, env []string) *clusterNode {
	t.Helper()
	p := start(t, env, "--cluster")
	n := &clusterNode{p: p, addr: p.address(t), env: env}
	go func() {
		for range p.lines {
		}
	}()
	return n
}

// waitNodes polls server:metrics until the node sees n live nodes.
func waitNodes(t *testing.T, c *rawClient, n int) {
	t.Helper()
	deadline := time.Now().Add(3 * wait)
	for {
		a := c.request(t, `{"controller":"server","action":"metrics"}`)
		var m struct {
			Cluster struct{ Nodes []string } `json:"cluster"`
		}
		if err := jsonx.Unmarshal(a.Result, &m); err != nil {
			t.Fatal(err)
		}
		if len(m.Cluster.Nodes) == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the node sees %v, want %d nodes", m.Cluster.Nodes, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// countIs polls realtime:count until the room has n subscribers.
func countIs(t *testing.T, c *rawClient, roomID string, n int) {
	t.Helper()
	want := `{"count":` + strconv.Itoa(n) + `}`
	deadline := time.Now().Add(3 * wait)
	for {
		a := c.request(t, `{"controller":"realtime","action":"count","body":{"roomId":"`+roomID+`"}}`)
		if string(a.Result) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("count of %s is %s, want %s", roomID, a.Result, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// nextPublish waits for the next PUBLISH packet and returns its payload.
func nextPublish(t *testing.T, c *rawClient) []byte {
	t.Helper()
	for {
		typ, body, err := c.next(wait)
		if err != nil {
			t.Fatalf("waiting for a notification: %v", err)
		}
		if typ == 0x30 {
			_, payload := splitPublish(body)
			return payload
		}
	}
}

// TestClusterSurvivesAKilledNode runs three starling processes as one
// cluster on one PostgreSQL, writes documents on every node, kills one
// with SIGKILL under that load, and checks that the others go on serving,
// that its client's subscription leaves the cluster with a user "out"
// notification, that no acknowledged document is lost, and that the node
// rejoins when it restarts.
func TestClusterSurvivesAKilledNode(t *testing.T) {
	pg := postgresCluster(t)
	t.Run("seeds", func(t *testing.T) { survivesAKilledNode(t, storetest.Database(t, pg), "") })
	t.Run("etcd", func(t *testing.T) { survivesAKilledNode(t, storetest.Database(t, pg), etcdtest.Run(t).Endpoints()[0]) })
}

func survivesAKilledNode(t *testing.T, url, etcd string) {
	ports := nettest.FreePorts(t, 3)
	nodes := []*clusterNode{startNode(t, clusterEnv(ports, etcd, 0, url))}
	admin := dialRaw(t, nodes[0].addr, "cluster-admin", false)
	admin.request(t, `{"controller":"index","action":"create","index":"durable"}`)
	admin.request(t, `{"controller":"collection","action":"create","index":"durable","collection":"docs","body":{"properties":{"n":{"type":"integer"}}}}`)
	for i := 1; i < 3; i++ {
		nodes = append(nodes, startNode(t, clusterEnv(ports, etcd, i, url)))
	}
	waitNodes(t, admin, 3)

	watcher := dialRaw(t, nodes[0].addr, "cluster-watcher", false)
	a := watcher.request(t, `{"controller":"realtime","action":"subscribe","index":"i","collection":"c","body":{},"users":"all"}`)
	var room struct{ RoomID, Channel string }
	if err := jsonx.Unmarshal(a.Result, &room); err != nil {
		t.Fatal(err)
	}
	body := binary.BigEndian.AppendUint16([]byte{0, 1}, uint16(len(room.Channel)))
	watcher.write(t, packet(0x82, append(append(body, room.Channel...), 0)))
	if typ, ack, err := watcher.next(wait); err != nil || typ != 0x90 || ack[len(ack)-1] >= 0x80 {
		t.Fatalf("SUBSCRIBE to %s refused: type %#x %v, %v", room.Channel, typ, ack, err)
	}
	victimClient := dialRaw(t, nodes[2].addr, "cluster-victim-subscriber", false)
	countIs(t, victimClient, room.RoomID, 1)
	victimClient.request(t, `{"controller":"realtime","action":"join","body":{"roomId":"`+room.RoomID+`"},"volatile":{"on":"victim"}}`)
	countIs(t, admin, room.RoomID, 2)

	acked := newAcks(killAfter)
	var wg sync.WaitGroup
	for w := range durabilityWriters {
		c := dialRaw(t, nodes[w%3].addr, "cluster-writer-"+strconv.Itoa(w), false)
		wg.Go(func() { createUntilClosed(c, w, acked) })
	}
	select {
	case <-acked.reached:
	case <-time.After(wait):
		t.Fatalf("only %d creates acknowledged within %s", acked.count(), wait)
	}
	if err := nodes[2].p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	atKill := acked.count()

	// The survivors see the node go, and its subscription with it.
	for {
		payload := nextPublish(t, watcher)
		var n struct {
			User     string
			Volatile map[string]string
			Result   struct{ Count int }
		}
		if err := jsonx.Unmarshal(payload, &n); err != nil {
			t.Fatal(err)
		}
		if n.User == "out" {
			if n.Result.Count != 1 || n.Volatile["on"] != "victim" {
				t.Fatalf("user notification of the killed node's client: %s", payload)
			}
			break
		}
	}
	waitNodes(t, admin, 2)
	// ... and go on writing.
	deadline := time.Now().Add(wait)
	for acked.count() < atKill+500 {
		if time.Now().After(deadline) {
			t.Fatalf("the survivors acknowledged %d creates after the kill, want 500", acked.count()-atKill)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The node comes back and rejoins.
	nodes[2] = startNode(t, nodes[2].env)
	waitNodes(t, admin, 3)
	back := dialRaw(t, nodes[2].addr, "cluster-back", false)
	countIs(t, back, room.RoomID, 1)
	back.request(t, `{"controller":"realtime","action":"join","body":{"roomId":"`+room.RoomID+`"}}`)
	countIs(t, admin, room.RoomID, 2)
	back.request(t, `{"controller":"realtime","action":"publish","index":"i","collection":"c","body":{"from":"back"}}`)
	for {
		var n struct {
			Type   string
			Result struct {
				Source map[string]any `json:"_source"`
			} `json:"result"`
		}
		if err := jsonx.Unmarshal(nextPublish(t, watcher), &n); err != nil {
			t.Fatal(err)
		}
		if n.Type == "document" && n.Result.Source["from"] == "back" {
			break
		}
	}

	// Stop the writers, then read back every acknowledged document.
	for _, n := range nodes[:2] {
		_ = n.p.cmd.Process.Signal(os.Interrupt)
	}
	wg.Wait()
	ids := acked.all()
	reader := dialRaw(t, nodes[2].addr, "cluster-reader", false)
	for _, missing := range readBack(t, reader, ids) {
		t.Errorf("acknowledged document lost: %s", missing)
	}
	t.Logf("%d creates acknowledged, %d before the kill; all read back from the restarted node", len(ids), atKill)
}
