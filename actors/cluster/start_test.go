package cluster

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/starlingmq/starling/internal/config"
)

func TestStartReportsAMembershipPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = Start(actor.NewActorSystem(), Options{Config: config.Cluster{
		Enabled: true, Name: "test", Host: "127.0.0.1", Provider: "seeds",
		MembershipPort: l.Addr().(*net.TCPAddr).Port, Heartbeat: time.Second,
	}})
	if err == nil || !strings.Contains(err.Error(), "cluster.membershipPort") {
		t.Fatalf("want an error naming cluster.membershipPort, got %v", err)
	}
}
