package config

import (
	"math"
	"net"
	"time"
)

// Cluster holds the cluster.* keys: whether the server runs as a node of a
// cluster and how its nodes find each other. Starling's keys, beside
// Kuzzle's cluster section, whose ports (7510, 7511) they keep.
type Cluster struct {
	// Enabled is cluster.enabled (default false; `starling --cluster`
	// sets it): the server joins the cluster named Name.
	Enabled bool
	// Name is cluster.name ("starling"): nodes of other names are ignored.
	Name string
	// Host and Port are cluster.host ("127.0.0.1") and cluster.port
	// (7511), where the node listens for the other nodes; port 0 picks a
	// free one.
	Host string
	Port int
	// AdvertisedHost is cluster.advertisedHost, the address the other
	// nodes reach this one at when it is not Host (a container's service
	// name, a public address); "" for Host.
	AdvertisedHost string
	// Provider is cluster.provider: "seeds" (every node serves its
	// membership over HTTP on MembershipPort and polls the Seeds) or
	// "etcd" (membership kept in etcd).
	Provider string
	// MembershipPort is cluster.membershipPort (7510), the HTTP port of
	// the seeds provider, on Host.
	MembershipPort int
	// Seeds is cluster.seeds, the "host:membershipPort" of every node the
	// seeds provider polls, this one included; empty, the node polls only
	// itself (a cluster of one that the nodes listing it can join).
	Seeds []string
	// Heartbeat is cluster.heartbeat (2000 ms, Kuzzle's key): how often
	// the seeds provider polls the seeds. (An etcd registration lives 3 s
	// without renewal, protoactor's fixed lease.)
	Heartbeat time.Duration
	// Etcd is cluster.etcd, read when Provider is "etcd".
	Etcd Etcd
}

// Etcd holds the cluster.etcd.* keys.
type Etcd struct {
	// Endpoints is cluster.etcd.endpoints (["127.0.0.1:2379"]).
	Endpoints []string
	// Prefix is cluster.etcd.prefix ("/starling"), the key prefix the
	// nodes register under.
	Prefix string
}

// clusterDefaults are the cluster.* defaults.
func clusterDefaults() map[string]any {
	return map[string]any{
		"enabled":        false,
		"name":           "starling",
		"host":           "127.0.0.1",
		"port":           7511.0,
		"advertisedHost": nil,
		"provider":       "seeds",
		"membershipPort": 7510.0,
		"seeds":          []any{},
		"heartbeat":      2000.0,
		"etcd": map[string]any{
			"endpoints": []any{"127.0.0.1:2379"},
			"prefix":    "/starling",
		},
	}
}

// cluster reads the cluster.* keys.
func (r *reader) cluster() Cluster {
	c := Cluster{
		Enabled:        r.boolean("cluster.enabled"),
		Name:           r.nonEmpty("cluster.name"),
		Host:           r.nonEmpty("cluster.host"),
		Port:           r.integer("cluster.port", 0, math.MaxUint16),
		AdvertisedHost: r.optionalString("cluster.advertisedHost"),
		Provider:       r.oneOf("cluster.provider", "seeds", "etcd"),
		MembershipPort: r.integer("cluster.membershipPort", 1, math.MaxUint16),
		Seeds:          r.strings("cluster.seeds", r.value("cluster.seeds")),
		Heartbeat:      r.duration("cluster.heartbeat"),
		Etcd: Etcd{
			Endpoints: r.strings("cluster.etcd.endpoints", r.value("cluster.etcd.endpoints")),
			Prefix:    r.nonEmpty("cluster.etcd.prefix"),
		},
	}
	if c.Heartbeat < 100*time.Millisecond {
		r.fail("cluster.heartbeat", "a duration of 100 ms or more", r.value("cluster.heartbeat"))
	}
	for _, s := range c.Seeds {
		if _, _, err := net.SplitHostPort(s); err != nil {
			r.fail("cluster.seeds", `"host:port" strings`, s)
		}
	}
	if c.Enabled && c.Provider == "etcd" && len(c.Etcd.Endpoints) == 0 {
		r.fail("cluster.etcd.endpoints", "at least one endpoint", r.value("cluster.etcd.endpoints"))
	}
	return c
}
