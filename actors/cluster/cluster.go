package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/clusterproviders/etcd"
	"github.com/asynkron/protoactor-go/cluster/identitylookup/disthash"
	"github.com/asynkron/protoactor-go/remote"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/starlingmq/starling/internal/config"
)

// eventsName is the name every node gives its events actor.
const eventsName = "cluster-events"

// Membership is the cluster as one node sees it.
type Membership struct {
	// Self is this node's cluster address (host:port).
	Self string
	// Peers are the other live nodes' addresses, sorted.
	Peers []string
}

// Options configures Start.
type Options struct {
	// Config is the cluster.* configuration.
	Config config.Cluster
	// Logger receives the membership's logs; slog.Default() when nil.
	Logger *slog.Logger
	// OnChange is told the membership at start and at every change, from
	// one goroutine at a time.
	OnChange func(Membership)
	// OnEvent applies an event another node broadcast; it runs on the
	// events actor, one at a time.
	OnEvent func(*Event)
	// MaxMessageBytes bounds one message between nodes (several of the
	// node's own messages travel in one); 64 MiB when 0.
	MaxMessageBytes int
}

// Cluster is this node's membership of the cluster.
type Cluster struct {
	c      *pcluster.Cluster
	system *actor.ActorSystem
	events *actor.PID
	log    *slog.Logger
	// unwatch ends the topology subscription.
	unwatch func()

	mu      sync.Mutex
	current Membership
}

// Start joins the cluster with system, which must not have started its
// remoting: protoactor's cluster starts it on cfg.Host:cfg.Port.
func Start(system *actor.ActorSystem, opts Options) (_ *Cluster, err error) {
	cfg := opts.Config
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	k := &Cluster{system: system, log: log}
	provider, seedsProvider, listener, err := k.newProvider(cfg)
	if err != nil {
		return nil, err
	}
	remoteCfg := remote.Configure(cfg.Host, cfg.Port, remoteOptions(cfg, opts.MaxMessageBytes)...)
	cc := pcluster.Configure(cfg.Name, provider, disthash.New(), remoteCfg)
	k.c = pcluster.New(system, cc)
	k.unwatch = k.watch(opts.OnChange)
	if seedsProvider != nil {
		seedsProvider.serve(listener, k.c)
	}
	defer func() {
		if err != nil {
			k.unwatch()
			if seedsProvider != nil {
				_ = seedsProvider.Shutdown(false)
			}
		}
	}()
	if err := startMember(k.c); err != nil {
		return nil, err
	}
	k.events, err = system.Root.SpawnNamed(actor.PropsFromFunc(func(ctx actor.Context) {
		if e, ok := ctx.Message().(*Event); ok && opts.OnEvent != nil && e.Node != k.Self() {
			opts.OnEvent(e)
		}
	}), eventsName)
	if err != nil {
		k.c.Shutdown(false)
		return nil, fmt.Errorf("spawn the cluster events actor: %w", err)
	}
	log.Info("cluster member started", "cluster", cfg.Name, "address", k.Self(), "provider", cfg.Provider)
	return k, nil
}

// remoteOptions configure protoactor's remoting: the advertised address,
// and gRPC's message size bound (4 MiB by default) raised to max.
func remoteOptions(cfg config.Cluster, max int) []remote.ConfigOption {
	if max <= 0 {
		max = 64 << 20
	}
	opts := []remote.ConfigOption{
		remote.WithServerOptions(grpc.MaxRecvMsgSize(max)),
		remote.WithDialOptions(grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(max), grpc.MaxCallSendMsgSize(max))),
	}
	if cfg.AdvertisedHost != "" {
		opts = append(opts, remote.WithAdvertisedHost(net.JoinHostPort(cfg.AdvertisedHost, strconv.Itoa(cfg.Port))))
	}
	return opts
}

// newProvider builds the configured membership provider; the seeds
// provider's listener is returned to be served once the cluster exists.
func (k *Cluster) newProvider(cfg config.Cluster) (pcluster.ClusterProvider, *seeds, net.Listener, error) {
	if cfg.Provider == "etcd" {
		p, err := etcd.NewWithConfig(cfg.Etcd.Prefix, clientv3.Config{Endpoints: cfg.Etcd.Endpoints, DialTimeout: 5 * time.Second})
		if err != nil {
			return nil, nil, nil, fmt.Errorf("cluster: connect to etcd %v: %w", cfg.Etcd.Endpoints, err)
		}
		return p, nil, nil, nil
	}
	list := cfg.Seeds
	if len(list) == 0 {
		list = []string{net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.MembershipPort))}
		k.log.Warn("cluster.seeds is empty: this node polls only itself, a cluster of one (list every node in cluster.seeds, or use cluster.provider etcd)")
	}
	s, l, err := newSeeds(cfg, list, k.log)
	if err != nil {
		return nil, nil, nil, err
	}
	return s, s, l, nil
}

// startMember starts remoting and the provider, turning protoactor's
// panics on failure (a port taken, etcd unreachable) into an error.
func startMember(c *pcluster.Cluster) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("cluster: start the member: %v", p)
		}
	}()
	c.StartMember()
	return nil
}

// watch follows the topology events and tells onChange.
func (k *Cluster) watch(onChange func(Membership)) (unwatch func()) {
	var mu sync.Mutex // one OnChange at a time, in the order of the events
	sub := k.system.EventStream.Subscribe(func(evt any) {
		topology, ok := evt.(*pcluster.ClusterTopology)
		if !ok {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		m := Membership{Self: k.system.Address()}
		for _, member := range topology.Members {
			if a := member.Address(); a != m.Self {
				m.Peers = append(m.Peers, a)
			}
		}
		slices.Sort(m.Peers)
		k.mu.Lock()
		changed := !slices.Equal(k.current.Peers, m.Peers) || k.current.Self != m.Self
		k.current = m
		k.mu.Unlock()
		if changed {
			k.log.Info("cluster membership changed", "self", m.Self, "peers", m.Peers)
			if onChange != nil {
				onChange(m)
			}
		}
	})
	return func() { k.system.EventStream.Unsubscribe(sub) }
}

// Self returns this node's cluster address.
func (k *Cluster) Self() string { return k.system.Address() }

// Membership returns the nodes alive as last seen.
func (k *Cluster) Membership() Membership {
	k.mu.Lock()
	defer k.mu.Unlock()
	m := k.current
	m.Peers = slices.Clone(m.Peers)
	if m.Self == "" {
		m.Self = k.Self()
	}
	return m
}

// Broadcast sends an event to every other live node; those that join
// later do not receive it.
func (k *Cluster) Broadcast(kind, key string, data []byte) {
	m := k.Membership()
	e := &Event{Node: m.Self, Kind: kind, Key: key, Data: data}
	for _, peer := range m.Peers {
		k.system.Root.Send(actor.NewPID(peer, eventsName), e)
	}
}

// Stop leaves the cluster: the provider deregisters this node, so that
// the others see it leave at once, then remoting stops.
func (k *Cluster) Stop(ctx context.Context) error {
	k.unwatch()
	err := k.c.Config.ClusterProvider.Shutdown(true)
	done := make(chan struct{})
	go func() {
		defer close(done)
		k.c.Shutdown(false)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		err = errors.Join(err, fmt.Errorf("cluster: stop: %w", ctx.Err()))
	}
	if err != nil {
		return fmt.Errorf("cluster: leave: %w", err)
	}
	return nil
}
