package etcdtest

import (
	"errors"
	"fmt"
	"os"
	"testing"
)

// requireAll tells whether tests must fail, rather than skip, when etcd
// is not installed.
func requireAll() bool { return os.Getenv("STARLING_REQUIRE_ALL") == "1" }

// Main runs a test binary's tests with one etcd server started for them,
// and stops it after; *server is nil when etcd is not installed, and the
// binary fails then if STARLING_REQUIRE_ALL=1. Tests sharing the server
// should keep to their own key prefix. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(etcdtest.Main(m, &etcd)) }
func Main(m *testing.M, server **Server) int {
	s, err := Start()
	switch {
	case errors.Is(err, ErrNoEtcd) && !requireAll():
	case err != nil:
		fmt.Fprintln(os.Stderr, "start an etcd server:", err)
		return 1
	}
	*server = s
	code := m.Run()
	if s != nil {
		if err := s.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop the etcd server:", err)
		}
	}
	return code
}

// Endpoints returns the client endpoints of s, the server Main started,
// skipping t when s is nil (etcd is not installed).
func Endpoints(t testing.TB, s *Server) []string {
	t.Helper()
	if s == nil {
		t.Skip(ErrNoEtcd.Error())
	}
	return s.Endpoints()
}

// Run starts an etcd server of t's own, stopped when t ends: for the tests
// that kill or restart it. It skips t when etcd is not installed, and
// fails it instead if STARLING_REQUIRE_ALL=1.
func Run(t testing.TB) *Server {
	t.Helper()
	s, err := Start()
	switch {
	case errors.Is(err, ErrNoEtcd) && !requireAll():
		t.Skip(err.Error())
	case err != nil:
		t.Fatalf("start an etcd server: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop the etcd server: %v", err)
		}
	})
	return s
}
