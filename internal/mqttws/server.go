package mqttws

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/coder/websocket"
)

// Streams serves one MQTT client on a byte stream until it goes: the MQTT
// server's Serve.
type Streams interface {
	Serve(conn net.Conn)
}

// Config configures a Server; a zero bound takes the default given in its
// comment.
type Config struct {
	// Host and Port are the listening address; port 0 picks a free port.
	Host string
	Port int
	// Path is the path upgrades are accepted on ("/mqtt"); others get 404.
	Path string
	// MaxMessageSize bounds one WebSocket message (2 MiB, the MQTT server's
	// default packet bound); a larger one closes the connection (1009).
	MaxMessageSize int
	// ReadTimeout bounds the time the upgrade request's headers may take
	// (5 s); the MQTT server's own timeouts apply after the upgrade.
	ReadTimeout time.Duration
	// MaxHeaderBytes bounds the upgrade request's headers (64 KiB).
	MaxHeaderBytes int
	// TLS, when not nil, makes the listener serve WSS with it instead of
	// WS.
	TLS *tls.Config
}

// Subprotocols are the WebSocket subprotocols negotiated, in order of
// preference: "mqtt" (MQTT 3.1.1 and 5, MQTT.js) and "mqttv3.1" (older
// clients). A client offering neither is served without one.
var Subprotocols = []string{"mqtt", "mqttv3.1"}

// Server is the MQTT over WebSocket listener. Start it once, Close it once.
type Server struct {
	cfg     Config
	streams Streams
	log     *slog.Logger
	http    *http.Server
	ln      net.Listener
	served  chan struct{}
}

// New returns a listener that is not listening yet, whose clients streams
// serves.
func New(cfg Config, streams Streams, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	cfg.Path = cmp.Or(cfg.Path, "/mqtt")
	cfg.MaxMessageSize = cmp.Or(cfg.MaxMessageSize, 2<<20)
	cfg.ReadTimeout = cmp.Or(cfg.ReadTimeout, 5*time.Second)
	cfg.MaxHeaderBytes = cmp.Or(cfg.MaxHeaderBytes, 64<<10)
	s := &Server{cfg: cfg, streams: streams, log: log}
	s.http = &http.Server{
		Handler: s,
		// Only the headers are bounded in time: a whole-request deadline
		// would stay on the connection once it is upgraded.
		ReadHeaderTimeout: cfg.ReadTimeout,
		IdleTimeout:       cfg.ReadTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	return s
}

// Start listens and serves in the background.
func (s *Server) Start() error {
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen for MQTT over WebSocket on %s: %w", addr, err)
	}
	if s.cfg.TLS != nil {
		ln = tls.NewListener(ln, s.cfg.TLS)
	}
	s.ln, s.served = ln, make(chan struct{})
	go func() {
		defer close(s.served)
		err := s.http.Serve(ln)
		if err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			s.log.Error("MQTT over WebSocket listener failed", "error", err)
		}
	}()
	s.log.Info("MQTT over WebSocket listening", "address", ln.Addr().String(), "path", s.cfg.Path)
	return nil
}

// Addr returns the listening address, nil before Start.
func (s *Server) Addr() net.Addr {
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// StopAccepting closes the listening socket; connected clients stay.
func (s *Server) StopAccepting() error {
	if s.ln == nil {
		return nil
	}
	if err := s.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("close the MQTT over WebSocket listener: %w", err)
	}
	return nil
}

// Close stops accepting and ends upgrade requests under way (within ctx).
// Upgraded clients belong to the MQTT server, whose Close disconnects them.
func (s *Server) Close(ctx context.Context) error {
	if s.ln == nil {
		return nil
	}
	err := s.StopAccepting()
	// Shutdown closes the listener again, which is no failure.
	if e := s.http.Shutdown(ctx); e != nil && !errors.Is(e, net.ErrClosed) {
		err = errors.Join(err, fmt.Errorf("shut MQTT over WebSocket down: %w", e))
	}
	<-s.served
	return err
}

// ServeHTTP upgrades a request on the configured path and serves its MQTT
// client until it goes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != s.cfg.Path {
		http.NotFound(w, r)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols:       Subprotocols,
		InsecureSkipVerify: true, // brokers accept every origin: browser pages are served from anywhere
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		s.log.Debug("MQTT over WebSocket upgrade failed", "remote", r.RemoteAddr, "error", err)
		return
	}
	s.streams.Serve(newStream(ws, r.RemoteAddr, int64(s.cfg.MaxMessageSize)))
}
