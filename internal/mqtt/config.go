package mqtt

import (
	"cmp"
	"crypto/tls"
	"time"
)

// Config configures a Server. The composition root maps the kuzzlerc keys
// (server.protocols.mqtt.*) onto it; a zero bound takes the default given
// in its comment.
type Config struct {
	// Host and Port are the listening address; port 0 picks a free port.
	Host string
	Port int
	// TLS, when not nil, makes the listener speak TLS with it instead of
	// plain TCP; the handshake must end within ConnectTimeout.
	TLS *tls.Config
	// Node is the server id written in the error answers this package
	// builds itself.
	Node string
	// RequestTopic is where clients publish API requests.
	RequestTopic string
	// ResponseTopic is where answers are delivered.
	ResponseTopic string
	// AllowPubSub lets clients publish on other topics, as on a plain broker.
	AllowPubSub bool
	// BroadcastResponses publishes every answer to every subscriber of the
	// response topic (Kuzzle's development mode).
	BroadcastResponses bool
	// MaxPacketSize is the largest packet a client may send; a larger one
	// closes its connection (default 2 MiB).
	MaxPacketSize int
	// MaxPendingPackets and MaxPendingBytes bound each client's queue of
	// packets its socket has not taken yet; a client past either is
	// disconnected (defaults 4096 and 4 MiB).
	MaxPendingPackets int
	MaxPendingBytes   int
	// MaxTotalPendingBytes bounds the queues of every client together; the
	// client whose packet would pass it is disconnected (default 512 MiB).
	MaxTotalPendingBytes int
	// MaxInflightRequests and MaxInflightBytes bound the requests of one
	// client not answered yet; past either the client is not read until
	// answers go out (defaults 256 and 4 MiB).
	MaxInflightRequests int
	MaxInflightBytes    int
	// MaxConnections caps the connected clients (0: no cap).
	MaxConnections int
	// MaxSubscriptions caps each client's plain topic subscriptions
	// (default 1000).
	MaxSubscriptions int
	// MaxRetainedMessages and MaxRetainedBytes bound the retained messages
	// of every topic together (defaults 10,000 and 64 MiB).
	MaxRetainedMessages int
	MaxRetainedBytes    int
	// ReceiveMaximum is how many QoS 2 publishes a client may leave
	// unreleased (default 256).
	ReceiveMaximum int
	// ConnectTimeout is how long a new socket may take to send its CONNECT
	// (default 5 s).
	ConnectTimeout time.Duration
	// IdleTimeout closes a client with keepalive 0 that sent nothing for
	// that long (0: never); MQTT 5 clients, told it in whole seconds as
	// the Server Keep Alive, get at least 1.5 s.
	IdleTimeout time.Duration
	// WriteTimeout is how long a write may wait on a full socket before
	// the client is disconnected (default 10 s).
	WriteTimeout time.Duration
}

// withDefaults returns cfg with its zero bounds replaced by the defaults.
func (cfg Config) withDefaults() Config {
	cfg.MaxPacketSize = cmp.Or(cfg.MaxPacketSize, 2<<20)
	cfg.MaxPendingPackets = cmp.Or(cfg.MaxPendingPackets, 4096)
	cfg.MaxPendingBytes = cmp.Or(cfg.MaxPendingBytes, 4<<20)
	cfg.MaxTotalPendingBytes = cmp.Or(cfg.MaxTotalPendingBytes, 512<<20)
	cfg.MaxInflightRequests = cmp.Or(cfg.MaxInflightRequests, 256)
	cfg.MaxInflightBytes = cmp.Or(cfg.MaxInflightBytes, 4<<20)
	cfg.MaxSubscriptions = cmp.Or(cfg.MaxSubscriptions, 1000)
	cfg.MaxRetainedMessages = cmp.Or(cfg.MaxRetainedMessages, 10000)
	cfg.MaxRetainedBytes = cmp.Or(cfg.MaxRetainedBytes, 64<<20)
	cfg.ReceiveMaximum = min(cmp.Or(cfg.ReceiveMaximum, 256), 65535)
	cfg.ConnectTimeout = cmp.Or(cfg.ConnectTimeout, 5*time.Second)
	cfg.WriteTimeout = cmp.Or(cfg.WriteTimeout, 10*time.Second)
	cfg.RequestTopic = cmp.Or(cfg.RequestTopic, "Kuzzle/request")
	cfg.ResponseTopic = cmp.Or(cfg.ResponseTopic, "Kuzzle/response")
	return cfg
}
