package mqtt

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Server is Starling's MQTT listener. Start it once, Close it once.
type Server struct {
	cfg     Config
	handler Handler
	log     *slog.Logger
	router  *router
	stats   counters

	listener net.Listener
	accepted sync.WaitGroup // the accept loop
	conns    sync.WaitGroup // one per connection goroutine

	// queued is the bytes queued for every client together.
	queued atomic.Int64

	mu      sync.Mutex
	clients map[string]*Conn   // connected clients by client id
	sockets map[*Conn]struct{} // every open socket, connected or not
	closing bool

	// answers recycles the buffers of answers; reads the read buffers;
	// corks the buffers of the packets held while outboxes are corked.
	answers sync.Pool
	reads   sync.Pool
	corks   sync.Pool
}

// maxPooledPacket is the largest answer buffer kept for reuse.
const maxPooledPacket = 16 << 10

// readSize is the size of the buffers packets are read into.
const readSize = 4 << 10

// New builds a server whose clients' sessions are opened by handler.
func New(cfg Config, handler Handler, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	cfg = cfg.withDefaults()
	s := &Server{
		cfg: cfg, handler: handler, log: log,
		clients: map[string]*Conn{}, sockets: map[*Conn]struct{}{},
	}
	s.router = newRouter(s)
	s.answers.New = func() any { b := make([]byte, 0, 1024); return &b }
	s.reads.New = func() any { b := make([]byte, readSize); return &b }
	s.corks.New = func() any { b := make([]byte, 0, readSize); return &b }
	return s
}

// Start listens on the configured host and port and serves clients in the
// background.
func (s *Server) Start() error {
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen for MQTT on %s: %w", addr, err)
	}
	if s.cfg.TLS != nil {
		ln = tls.NewListener(ln, s.cfg.TLS)
	}
	s.listener = ln
	s.accepted.Add(1)
	go s.accept()
	s.log.Info("MQTT listening", "address", ln.Addr().String(), "tls", s.cfg.TLS != nil,
		"requestTopic", s.cfg.RequestTopic, "responseTopic", s.cfg.ResponseTopic,
		"allowPubSub", s.cfg.AllowPubSub, "developmentMode", s.cfg.BroadcastResponses)
	return nil
}

// accept serves each accepted socket on a goroutine of its own until the
// listener closes.
func (s *Server) accept() {
	defer s.accepted.Done()
	for {
		nc, err := s.listener.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		c := newConn(s, nc)
		if !s.track(c) {
			nc.Close()
			continue
		}
		go c.serve()
	}
}

// Serve runs one client on nc, a byte stream another listener accepted
// (MQTT over WebSocket), until it goes: every rule and bound applies as to
// the server's own sockets, and Close disconnects it too. It closes nc and
// returns at once when the server is closing.
func (s *Server) Serve(nc net.Conn) {
	c := newConn(s, nc)
	if !s.track(c) {
		_ = nc.Close()
		return
	}
	c.serve()
}

// track records an open socket, unless the server is closing.
func (s *Server) track(c *Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.sockets[c] = struct{}{}
	s.conns.Add(1)
	return true
}

// register makes c the connected client of its id, taking over (closing)
// a client connected with the same id. It refuses when the connection
// limit is reached or the server closes.
func (s *Server) register(c *Conn) (ok, full bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false, false
	}
	old := s.clients[c.id]
	if old == nil && s.cfg.MaxConnections > 0 && len(s.clients) >= s.cfg.MaxConnections {
		return false, true
	}
	if old != nil {
		s.log.Debug("client id taken over", "client", c.id, "remote", c.remote)
		old.takenOver()
	}
	s.clients[c.id] = c
	return true, false
}

// forget removes c once its goroutine ends.
func (s *Server) forget(c *Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clients[c.id] == c {
		delete(s.clients, c.id)
	}
	delete(s.sockets, c)
}

// Addr returns the listening address, nil before Start.
func (s *Server) Addr() net.Addr {
	if s.listener == nil {
		return nil
	}
	return s.listener.Addr()
}

// StopAccepting closes the listening socket; connected clients stay.
func (s *Server) StopAccepting() error {
	if s.listener == nil {
		return nil
	}
	if err := s.listener.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("close MQTT listener: %w", err)
	}
	s.accepted.Wait()
	return nil
}

// Close stops accepting, lets every client's queued packets go out until
// ctx ends, then disconnects every client (MQTT 5 clients get DISCONNECT
// 0x8B, server shutting down) and waits for their goroutines. A client
// whose socket does not take its packets never delays it past ctx.
func (s *Server) Close(ctx context.Context) error {
	err := s.StopAccepting()
	s.mu.Lock()
	s.closing = true
	open := make([]*Conn, 0, len(s.sockets))
	for c := range s.sockets {
		open = append(open, c)
	}
	s.mu.Unlock()
	for _, c := range open {
		c.shutdown()
	}
	done := make(chan struct{})
	go func() { s.conns.Wait(); close(done) }()
	select {
	case <-done:
		return err
	case <-ctx.Done():
	}
	for _, c := range open {
		c.close(causeDeadline)
	}
	select {
	case <-done:
	case <-time.After(time.Second): // sockets are closed: goroutines end at once
		return errors.Join(err, errors.New("MQTT connections still running after close"))
	}
	return err
}

// Clients returns the number of connected clients.
func (s *Server) Clients() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients)
}
