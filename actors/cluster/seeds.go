package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	pcluster "github.com/asynkron/protoactor-go/cluster"

	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/jsonx"
)

// missesToLeave is how many polls in a row a seed must fail before its
// node leaves the membership: one slow answer does not evict a node,
// which protoactor would then block for good.
const missesToLeave = 3

// healthPath is where a node serves its membership.
const healthPath = "/_health"

// seedMember is what a node's membership endpoint answers.
type seedMember struct {
	ID      string   `json:"id"`
	Cluster string   `json:"cluster"`
	Host    string   `json:"host"`
	Port    int      `json:"port"`
	Kinds   []string `json:"kinds"`
}

// seeds is the membership provider of a static list of nodes: every node
// serves its member on cluster.host:cluster.membershipPort and polls every
// seed each heartbeat; a seed that fails missesToLeave polls in a row
// leaves the membership, and joins it again when it answers (under a new
// member id if it restarted).
type seeds struct {
	cfg    config.Cluster
	list   []string
	log    *slog.Logger
	client *http.Client
	server *http.Server
	cancel context.CancelFunc
	done   sync.WaitGroup

	// known and misses are the poll loop's: the last member each seed
	// answered, and the polls it failed since.
	known  map[string]*pcluster.Member
	misses map[string]int
}

// newSeeds builds the provider; it binds the membership port at once, so
// that a port in use is an error of Start.
func newSeeds(cfg config.Cluster, list []string, log *slog.Logger) (*seeds, net.Listener, error) {
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.MembershipPort))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("cluster: membership port (cluster.membershipPort): %w", err)
	}
	timeout := max(cfg.Heartbeat, time.Second)
	return &seeds{
		cfg: cfg, list: list, log: log,
		client: &http.Client{Timeout: timeout},
		known:  map[string]*pcluster.Member{}, misses: map[string]int{},
	}, l, nil
}

// serve answers the membership endpoint with this member.
func (s *seeds) serve(l net.Listener, c *pcluster.Cluster) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+healthPath, func(w http.ResponseWriter, _ *http.Request) {
		host, port, err := c.ActorSystem.GetHostPort()
		if err != nil {
			http.Error(w, "no address yet", http.StatusServiceUnavailable)
			return
		}
		body, err := jsonx.Marshal(seedMember{ID: c.ActorSystem.ID, Cluster: s.cfg.Name, Host: host, Port: port, Kinds: c.GetClusterKinds()})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	s.server = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	s.done.Go(func() {
		if err := s.server.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("the cluster membership endpoint stopped", "error", err)
		}
	})
}

// StartMember implements protoactor's ClusterProvider.
func (s *seeds) StartMember(c *pcluster.Cluster) error {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.done.Go(func() { s.loop(ctx, c) })
	return nil
}

// StartClient implements protoactor's ClusterProvider: a client polls as
// a member does.
func (s *seeds) StartClient(c *pcluster.Cluster) error { return s.StartMember(c) }

// Shutdown implements protoactor's ClusterProvider: the endpoint closes,
// so that the others see this node leave at their next polls.
func (s *seeds) Shutdown(bool) error {
	if s.cancel != nil {
		s.cancel()
	}
	var err error
	if s.server != nil {
		err = s.server.Close()
	}
	s.done.Wait()
	return err
}

// loop polls the seeds every heartbeat until ctx ends.
func (s *seeds) loop(ctx context.Context, c *pcluster.Cluster) {
	for {
		s.poll(ctx, c)
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.cfg.Heartbeat):
		}
	}
}

// poll asks every seed at once and gives protoactor the members alive.
func (s *seeds) poll(ctx context.Context, c *pcluster.Cluster) {
	answers := make([]*pcluster.Member, len(s.list))
	var wg sync.WaitGroup
	for i, seed := range s.list {
		wg.Go(func() { answers[i] = s.ask(ctx, seed) })
	}
	wg.Wait()
	if ctx.Err() != nil {
		return
	}
	var members pcluster.Members
	for i, seed := range s.list {
		switch m := answers[i]; {
		case m != nil:
			if s.misses[seed] >= missesToLeave {
				s.log.Info("a cluster seed answers again", "seed", seed)
			}
			s.known[seed], s.misses[seed] = m, 0
		case s.known[seed] != nil:
			if s.misses[seed]++; s.misses[seed] == missesToLeave {
				s.log.Warn("a cluster seed stopped answering: its node leaves the cluster", "seed", seed, "polls", missesToLeave)
			}
		}
		if m := s.known[seed]; m != nil && s.misses[seed] < missesToLeave {
			members = append(members, m)
		}
	}
	c.MemberList.UpdateClusterTopology(members)
}

// ask polls one seed; nil when it does not answer as a member of this
// cluster.
func (s *seeds) ask(ctx context.Context, seed string) *pcluster.Member {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+seed+healthPath, nil)
	if err != nil {
		return nil
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var m seedMember
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil || resp.StatusCode != http.StatusOK || jsonx.Unmarshal(body, &m) != nil || m.Cluster != s.cfg.Name || m.ID == "" {
		return nil
	}
	return &pcluster.Member{Id: m.ID, Host: m.Host, Port: int32(m.Port), Kinds: m.Kinds}
}
