package mqtt

import (
	"cmp"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"

	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"

	"github.com/starlingmq/starling/internal/config"
)

// Options configures a Server.
type Options struct {
	// MQTT is server.protocols.mqtt.
	MQTT config.MQTT
	// DevelopmentEnv is true under NODE_ENV=development.
	DevelopmentEnv bool
	// MaxRequestSize bounds what a client may send: a packet over twice this
	// size (and at least 64 KiB over it) is a protocol violation that closes
	// the connection. Smaller oversized requests get an error response from
	// the request dispatcher.
	MaxRequestSize int
	// Logger receives the server's logs.
	Logger *slog.Logger
	// LibraryLogger receives mochi-mqtt's own logs; Logger when nil.
	LibraryLogger *slog.Logger
	// MaxPendingNotifications bounds each client's queue of undelivered
	// notifications; a client whose queue overflows is disconnected.
	MaxPendingNotifications int
}

// Server is Starling's MQTT listener. Start it once, Close it once.
type Server struct {
	cfg                config.MQTT
	broadcastResponses bool
	maxPending         int
	mochi              *mochi.Server
	listener           net.Listener
	log                *slog.Logger
	// packets recycles the buffers of answers written at once.
	packets sync.Pool
}

// maxPooledPacket is the largest answer buffer kept for reuse.
const maxPooledPacket = 16 << 10

// New builds a server that reports sessions to sessions.
func New(opts Options, sessions Sessions) (*Server, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	caps := mochi.NewDefaultServerCapabilities()
	caps.MaximumPacketSize = uint32(max(2*opts.MaxRequestSize, opts.MaxRequestSize+64<<10))
	// Notifications and answers have their own queue (outbox.go); mochi's only
	// carries plain publish/subscribe traffic. Each slot costs 8 bytes per
	// client whether used or not.
	caps.MaximumClientWritesPending = 64
	s := &Server{
		cfg:                opts.MQTT,
		broadcastResponses: opts.DevelopmentEnv && opts.MQTT.DevelopmentMode,
		maxPending:         cmp.Or(opts.MaxPendingNotifications, 4096),
		log:                log,
	}
	s.packets.New = func() any { b := make([]byte, 0, 1024); return &b }
	s.mochi = mochi.New(&mochi.Options{
		Capabilities: caps,
		InlineClient: true,
		Logger:       cmp.Or(opts.LibraryLogger, log).With("component", "mochi"),
	})
	h := &hook{server: s, sessions: sessions, log: log}
	if err := s.mochi.AddHook(h, nil); err != nil {
		return nil, fmt.Errorf("add MQTT hook: %w", err)
	}
	return s, nil
}

// Start listens on the configured host and port (0 picks a free port) and
// serves clients in the background.
func (s *Server) Start() error {
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen for MQTT on %s: %w", addr, err)
	}
	s.listener = ln
	if err := s.mochi.AddListener(listeners.NewNet("mqtt", connectDeadlineListener{ln})); err != nil {
		ln.Close()
		return fmt.Errorf("add MQTT listener: %w", err)
	}
	if err := s.mochi.Serve(); err != nil {
		ln.Close()
		return fmt.Errorf("serve MQTT: %w", err)
	}
	s.log.Info("MQTT listening", "address", ln.Addr().String(),
		"requestTopic", s.cfg.RequestTopic, "responseTopic", s.cfg.ResponseTopic,
		"allowPubSub", s.cfg.AllowPubSub, "developmentMode", s.broadcastResponses)
	return nil
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
	if err := s.listener.Close(); err != nil && !strings.Contains(err.Error(), "use of closed") {
		return fmt.Errorf("close MQTT listener: %w", err)
	}
	return nil
}

// Close disconnects every client and stops the server.
func (s *Server) Close() error {
	_ = s.StopAccepting()
	return s.mochi.Close()
}

// subscribable reports whether a client may subscribe to filter: not the
// request topic, not through a shared subscription, and no wildcard.
func (s *Server) subscribable(filter string) bool {
	if strings.HasPrefix(filter, "$share/") {
		parts := strings.SplitN(filter, "/", 3)
		if len(parts) < 3 {
			return false
		}
		filter = parts[2]
	}
	return filter != s.cfg.RequestTopic && !strings.ContainsAny(filter, "#+")
}
