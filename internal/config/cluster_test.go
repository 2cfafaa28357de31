package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestClusterKeys(t *testing.T) {
	cfg, err := Load(Sources{})
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Cluster
	if c.Enabled || c.Name != "starling" || c.Host != "127.0.0.1" || c.Port != 7511 || c.Provider != "seeds" ||
		c.MembershipPort != 7510 || len(c.Seeds) != 0 || c.Heartbeat != 2*time.Second ||
		!slices.Equal(c.Etcd.Endpoints, []string{"127.0.0.1:2379"}) || c.Etcd.Prefix != "/starling" {
		t.Fatalf("defaults: %+v", c)
	}
	cfg, err = Load(Sources{Env: []string{
		"kuzzle_cluster__enabled=true",
		"kuzzle_cluster__host=0.0.0.0",
		"kuzzle_cluster__advertisedHost=node-1",
		`kuzzle_cluster__seeds=*json:["node-1:7510","node-2:7510"]`,
		"kuzzle_cluster__provider=etcd",
		`kuzzle_cluster__etcd__endpoints=*json:["etcd:2379"]`,
		"kuzzle_cluster__heartbeat=500",
	}})
	if err != nil {
		t.Fatal(err)
	}
	c = cfg.Cluster
	if !c.Enabled || c.Host != "0.0.0.0" || c.AdvertisedHost != "node-1" || c.Provider != "etcd" ||
		!slices.Equal(c.Seeds, []string{"node-1:7510", "node-2:7510"}) || !slices.Equal(c.Etcd.Endpoints, []string{"etcd:2379"}) ||
		c.Heartbeat != 500*time.Millisecond {
		t.Fatalf("from the environment: %+v", c)
	}
	for _, tc := range []struct{ env, key string }{
		{"kuzzle_cluster__provider=consul", "cluster.provider"},
		{`kuzzle_cluster__seeds=*json:["no-port"]`, "cluster.seeds"},
		{"kuzzle_cluster__heartbeat=10", "cluster.heartbeat"},
		{"kuzzle_cluster__port=70000", "cluster.port"},
		{"kuzzle_cluster__name=", "cluster.name"},
	} {
		if _, err := Load(Sources{Env: []string{tc.env}}); err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s: want an error naming %s, got %v", tc.env, tc.key, err)
		}
	}
	if _, err := Load(Sources{Env: []string{"kuzzle_cluster__enabled=true", "kuzzle_cluster__provider=etcd", "kuzzle_cluster__etcd__endpoints=*json:[]"}}); err == nil || !strings.Contains(err.Error(), "cluster.etcd.endpoints") {
		t.Errorf("etcd without endpoints: %v", err)
	}
}
