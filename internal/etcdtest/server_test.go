package etcdtest

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

var etcd *Server

func TestMain(m *testing.M) { os.Exit(Main(m, &etcd)) }

// connect returns an etcd v3 client of endpoints, closed when t ends.
func connect(t *testing.T, endpoints []string) *clientv3.Client {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 30 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatalf("connect to etcd at %v: %v", endpoints, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// get returns the value of key, "" when absent.
func get(t *testing.T, c *clientv3.Client, key string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := c.Get(ctx, key)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	if len(resp.Kvs) == 0 {
		return ""
	}
	return string(resp.Kvs[0].Value)
}

// put writes key.
func put(t *testing.T, c *clientv3.Client, key, value string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.Put(ctx, key, value); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

// refused tells whether a TCP connection to the server's client port is
// refused: nothing listens there.
func refused(s *Server) bool {
	conn, err := net.Dial("tcp", s.client)
	if err == nil {
		conn.Close()
		return false
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// TestServerStoresKeys checks that the shared server takes a write and
// gives it back, through the v3 API the cluster provider uses.
func TestServerStoresKeys(t *testing.T) {
	c := connect(t, Endpoints(t, etcd))
	if v := get(t, c, "/starling-test/absent"); v != "" {
		t.Fatalf("a fresh server has /starling-test/absent = %q", v)
	}
	put(t, c, "/starling-test/a", "1")
	if v := get(t, c, "/starling-test/a"); v != "1" {
		t.Fatalf("/starling-test/a = %q after put 1", v)
	}
}

// TestKillKeepsDataForRestart checks the failure-test cycle: Kill ends
// etcd at once, Restart brings it back on the same endpoint with what was
// written before, and a client of the first run reconnects by itself.
func TestKillKeepsDataForRestart(t *testing.T) {
	s := Run(t)
	c := connect(t, s.Endpoints())
	put(t, c, "/k", "before")

	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	if s.Running() || !refused(s) {
		t.Fatalf("after Kill: running %v, client port refused %v", s.Running(), refused(s))
	}
	if err := s.Kill(); err == nil {
		t.Error("a second Kill succeeded")
	}

	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if !s.Running() {
		t.Fatal("not running after Restart")
	}
	if err := s.Restart(); err == nil {
		t.Error("Restart of a running server succeeded")
	}
	if v := get(t, connect(t, s.Endpoints()), "/k"); v != "before" {
		t.Fatalf("/k = %q after Restart, want the value written before Kill", v)
	}
	if v := get(t, c, "/k"); v != "before" {
		t.Fatalf("the client of the first run reads /k = %q after Restart", v)
	}
}

// TestStopRemovesEverything checks that Stop ends etcd, removes its
// directory, and may be called again.
func TestStopRemovesEverything(t *testing.T) {
	s := Run(t)
	dir := s.dir
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if s.Running() || !refused(s) {
		t.Fatalf("after Stop: running %v, client port refused %v", s.Running(), refused(s))
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the directory %s is still there (%v)", dir, err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("a second Stop: %v", err)
	}
	if err := s.Restart(); err == nil {
		t.Fatal("Restart after Stop succeeded")
	}
}

// TestServersAreIndependent checks that two servers run side by side on
// their own ports, each with its own data.
func TestServersAreIndependent(t *testing.T) {
	a, b := Run(t), Run(t)
	if a.client == b.client || a.peer == b.peer {
		t.Fatalf("two servers share a port: %s %s / %s %s", a.client, a.peer, b.client, b.peer)
	}
	put(t, connect(t, a.Endpoints()), "/only-in-a", "x")
	if v := get(t, connect(t, b.Endpoints()), "/only-in-a"); v != "" {
		t.Fatalf("server b sees server a's key: %q", v)
	}
}
