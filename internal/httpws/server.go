package httpws

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/starlingmq/starling/internal/api"
)

// Responder receives the encoded answer to one request. It must not block
// and must copy payload if it keeps it.
type Responder interface {
	// Respond hands over the answer.
	Respond(payload []byte) error
}

// Session is one WebSocket client as the rest of the server sees it.
type Session interface {
	// Request runs one request payload; its answer goes to reply.
	Request(payload []byte, reply Responder)
	// Closed reports that the client is gone.
	Closed()
}

// Handler runs the requests the listener reads.
type Handler interface {
	// HTTP runs one HTTP request's payload for conn, a connection of
	// its own; the answer goes to reply exactly once.
	HTTP(payload []byte, conn api.Connection, reply Responder)
	// OpenWebSocket makes a newly upgraded WebSocket client a session.
	OpenWebSocket(client *Client) Session
}

// Config configures the listener.
type Config struct {
	// Host and Port are the listening address; port 0 picks a free port.
	Host string
	Port int
	// TLS, when not nil, makes the listener serve HTTPS and WSS with it
	// instead of HTTP and WS.
	TLS *tls.Config
	// Node is the node id written in the answers the listener makes itself.
	Node string
	// HTTP and WebSocket turn each protocol on.
	HTTP, WebSocket bool
	// MaxRequestSize bounds a request body (after decompression) and a
	// WebSocket frame.
	MaxRequestSize int
	// AllowCompression accepts compressed request bodies.
	AllowCompression bool
	// MaxEncodingLayers bounds a request's Content-Encoding layers.
	MaxEncodingLayers int
	// MaxHeaderBytes bounds a request's headers (64 KiB when 0).
	MaxHeaderBytes int
	// ReadTimeout bounds the reading of a request's headers and body, and
	// WriteTimeout the writing of a message or response (10s when 0).
	ReadTimeout, WriteTimeout time.Duration
	// IdleTimeout closes a WebSocket client that sent nothing for that long.
	IdleTimeout time.Duration
	// MaxPendingMessages and MaxPendingBytes bound a WebSocket client's
	// unsent messages; past them it is disconnected.
	MaxPendingMessages, MaxPendingBytes int
	// Metrics, when set, serves GET /metrics (Prometheus), whether or not
	// HTTP is enabled.
	Metrics http.Handler
}

// Server is the running listener. Close it once.
type Server struct {
	cfg     Config
	handler Handler
	log     *slog.Logger
	router  *router
	http    *http.Server
	ln      net.Listener
	served  chan struct{}
	mu      sync.Mutex
	clients map[*Client]struct{}
	closed  bool
}

// New returns a listener that is not listening yet.
func New(cfg Config, handler Handler, log *slog.Logger) (*Server, error) {
	if cfg.MaxHeaderBytes == 0 {
		cfg.MaxHeaderBytes = 64 << 10
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = 10 * time.Second
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	r, err := newRouter()
	if err != nil {
		return nil, fmt.Errorf("build Kuzzle's HTTP routes: %w", err)
	}
	s := &Server{cfg: cfg, handler: handler, log: log, router: r, clients: map[*Client]struct{}{}}
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: cfg.ReadTimeout,
		IdleTimeout:       max(cfg.IdleTimeout, cfg.ReadTimeout),
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	return s, nil
}

// Start listens and serves in the background.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port)))
	if err != nil {
		return fmt.Errorf("listen for HTTP and WebSocket: %w", err)
	}
	if s.cfg.TLS != nil {
		ln = tls.NewListener(ln, s.cfg.TLS)
	}
	s.ln, s.served = ln, make(chan struct{})
	go func() {
		defer close(s.served)
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			s.log.Error("HTTP listener failed", "error", err)
		}
	}()
	s.log.Info("HTTP/WebSocket listener started", "address", ln.Addr().String(), "tls", s.cfg.TLS != nil, "http", s.cfg.HTTP, "websocket", s.cfg.WebSocket)
	return nil
}

// Addr returns the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// StopAccepting closes the listener: no new client connects.
func (s *Server) StopAccepting() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	if err := s.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("close the HTTP listener: %w", err)
	}
	return nil
}

// Close stops accepting, waits (within ctx) for HTTP requests under way,
// then disconnects every WebSocket client.
func (s *Server) Close(ctx context.Context) error {
	err := s.StopAccepting()
	// Shutdown closes the listener again when Serve has not returned yet
	// from the close above: that second close's error is no failure.
	if e := s.http.Shutdown(ctx); e != nil && !errors.Is(e, net.ErrClosed) {
		err = errors.Join(err, fmt.Errorf("shut HTTP down: %w", e))
	}
	s.mu.Lock()
	clients := make([]*Client, 0, len(s.clients))
	for c := range s.clients {
		clients = append(clients, c)
	}
	s.mu.Unlock()
	for _, c := range clients {
		c.close(closeGoingAway, "server shutting down")
	}
	if s.served != nil {
		<-s.served
	}
	return err
}

// track adds a WebSocket client, false once the server closes.
func (s *Server) track(c *Client) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.clients[c] = struct{}{}
	return true
}

func (s *Server) untrack(c *Client) {
	s.mu.Lock()
	delete(s.clients, c)
	s.mu.Unlock()
}

// ServeHTTP upgrades WebSocket handshakes and answers HTTP requests.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.cfg.WebSocket && isUpgrade(r) {
		s.serveWebSocket(w, r)
		return
	}
	if s.cfg.Metrics != nil && r.URL.Path == "/metrics" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		s.cfg.Metrics.ServeHTTP(w, r)
		return
	}
	if !s.cfg.HTTP {
		http.Error(w, "HTTP is disabled", http.StatusNotFound)
		return
	}
	s.serveRequest(w, r)
}
