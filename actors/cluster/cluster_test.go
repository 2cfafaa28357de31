//go:build !race

// protoactor's cluster writes state it reads without locks: several
// members in one process cannot run under the race detector.

package cluster

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/nettest"
)

// member starts a member of a seeds cluster on loopback; its membership
// changes and the events it receives arrive on the channels returned.
func member(t *testing.T, port int, seeds []string) (*Cluster, chan Membership, chan *Event) {
	t.Helper()
	changes, events := make(chan Membership, 16), make(chan *Event, 16)
	quiet := actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) })
	k, err := Start(actor.NewActorSystem(quiet), Options{
		Config: config.Cluster{
			Enabled: true, Name: "test", Host: "127.0.0.1", Port: 0, Provider: "seeds",
			MembershipPort: port, Seeds: seeds, Heartbeat: 100 * time.Millisecond,
		},
		OnChange: func(m Membership) { changes <- m },
		OnEvent:  func(e *Event) { events <- e },
	})
	if err != nil {
		t.Fatal(err)
	}
	return k, changes, events
}

// until waits for a membership with n peers.
func until(t *testing.T, changes chan Membership, n int) Membership {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m := <-changes:
			if len(m.Peers) == n {
				return m
			}
		case <-deadline:
			t.Fatalf("no membership with %d peers", n)
		}
	}
}

func TestMembersSeeEachOtherAndTheirEvents(t *testing.T) {
	ports := nettest.FreePorts(t, 2)
	var seeds []string
	for _, p := range ports {
		seeds = append(seeds, "127.0.0.1:"+strconv.Itoa(p))
	}
	a, aChanges, aEvents := member(t, ports[0], seeds)
	b, bChanges, _ := member(t, ports[1], seeds)
	if m := until(t, aChanges, 1); m.Self != a.Self() || m.Peers[0] != b.Self() {
		t.Fatalf("a sees %+v, want b %s", m, b.Self())
	}
	until(t, bChanges, 1)

	b.Broadcast("kind", "key", []byte("data"))
	select {
	case e := <-aEvents:
		if e.Kind != "kind" || e.Key != "key" || string(e.Data) != "data" || e.Node != b.Self() {
			t.Fatalf("event %+v", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the event did not arrive")
	}

	if err := b.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	until(t, aChanges, 0)
	if err := a.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestASeedLeavesAfterThreeMissedPolls serves a fake seed that stops
// answering for two polls, then for good: its member stays through the
// two misses and leaves at the third.
func TestASeedLeavesAfterThreeMissedPolls(t *testing.T) {
	var failing atomic.Int32 // polls to fail; -1: fail for ever
	var polls atomic.Int32
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		polls.Add(1)
		if n := failing.Load(); n != 0 {
			if n > 0 {
				failing.Add(-1)
			}
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{"id":"fake","cluster":"test","host":"127.0.0.1","port":1,"kinds":[]}`))
	}))
	defer fake.Close()
	ports := nettest.FreePorts(t, 1)
	k, changes, _ := member(t, ports[0], []string{"127.0.0.1:" + strconv.Itoa(ports[0]), strings.TrimPrefix(fake.URL, "http://")})
	defer k.Stop(context.Background())
	if m := until(t, changes, 1); m.Peers[0] != "127.0.0.1:1" {
		t.Fatalf("membership %+v", m)
	}
	base := polls.Load()
	failing.Store(2)
	for polls.Load() < base+4 { // the two failed polls, and two answers after them
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case m := <-changes:
		t.Fatalf("the membership changed after two missed polls: %+v", m)
	default:
	}
	failing.Store(-1)
	until(t, changes, 0)
}
