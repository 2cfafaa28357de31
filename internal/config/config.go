package config

import "time"

// Config is the typed configuration of a Starling server.
type Config struct {
	// Server holds the server.* keys.
	Server Server
	// Limits holds the limits.* keys.
	Limits Limits
	// Wasm holds the plugins.wasm.* keys.
	Wasm Wasm
	// PluginsCommon holds the plugins.common.* keys (pipes and hooks).
	PluginsCommon PluginsCommon
	// Stats holds the stats.* keys.
	Stats Stats
	// Security holds the security.* keys Starling reads.
	Security Security
	// Storage holds the storage.* keys (Starling's) and the
	// services.storageEngine.* keys Starling reads.
	Storage Storage
	// Cluster holds the cluster.* keys.
	Cluster Cluster
	// DevelopmentEnv is true when the process runs with NODE_ENV=development,
	// which together with MQTT's developmentMode broadcasts responses.
	DevelopmentEnv bool
	// File is the kuzzlerc file that was read last, "" if none.
	File string
}

// Server holds the server.* keys.
type Server struct {
	// MaxRequestSize is server.maxRequestSize in bytes ("1MB" by default).
	MaxRequestSize int
	// Logs is server.logs.
	Logs Logs
	// MQTT is server.protocols.mqtt.
	MQTT MQTT
	// Port is server.port, the HTTP and WebSocket port (7512); 0 picks a
	// free port.
	Port int
	// Host is server.host, the HTTP and WebSocket listening address, ""
	// for every interface (a Starling addition).
	Host string
	// HTTP is server.protocols.http.
	HTTP HTTP
	// WebSocket is server.protocols.websocket.
	WebSocket WebSocket
	// TLS is server.tls, TLS on the HTTP and WebSocket port (a Starling
	// key).
	TLS TLS
}

// HTTP holds the server.protocols.http.* keys.
type HTTP struct {
	// Enabled turns Kuzzle's HTTP API on (default: true).
	Enabled bool
	// AllowCompression accepts compressed request bodies (default: true).
	AllowCompression bool
	// MaxEncodingLayers bounds the Content-Encoding layers of a request
	// (default: 3).
	MaxEncodingLayers int
}

// WebSocket holds the server.protocols.websocket.* keys.
type WebSocket struct {
	// Enabled turns Kuzzle's WebSocket protocol on (default: true).
	Enabled bool
	// IdleTimeout closes a socket that sent nothing for that long (60s;
	// Kuzzle raises values under 1s to 60s).
	IdleTimeout time.Duration
}

// Logs holds the server.logs.* keys Starling reads.
type Logs struct {
	// Format is server.logs.format: "text" (default), slog's key=value
	// lines, or "json", one JSON object per line. A Starling key.
	Format string
}

// MQTT holds the server.protocols.mqtt.* keys.
type MQTT struct {
	// Enabled turns the MQTT listener on (Starling default: true).
	Enabled bool
	// RequireAuthentication refuses CONNECTs without credentials (a
	// Starling addition).
	RequireAuthentication bool
	// AllowPubSub lets clients publish on topics other than the request
	// topic, as on a plain broker.
	AllowPubSub bool
	// DevelopmentMode broadcasts responses to every subscriber of the
	// response topic, when the process also runs with NODE_ENV=development.
	DevelopmentMode bool
	// DisconnectDelay is how long a disconnected client's connection and
	// subscriptions live on.
	DisconnectDelay time.Duration
	// RequestTopic is the topic clients publish API requests on.
	RequestTopic string
	// ResponseTopic is the topic responses are delivered on.
	ResponseTopic string
	// RealtimeNotifications enables realtime notifications over MQTT.
	RealtimeNotifications bool
	// Host is server.protocols.mqtt.server.host, the listening address
	// ("" for every interface). A Starling addition.
	Host string
	// Port is server.protocols.mqtt.server.port; 0 picks a free port.
	Port int
	// MaxPendingNotifications bounds each client's queue of undelivered
	// packets (answers and notifications) in count; a client that falls that
	// far behind is disconnected. A Starling addition.
	MaxPendingNotifications int
	// MaxPendingBytes bounds the same queue in bytes. A Starling addition.
	MaxPendingBytes int
	// MaxTotalPendingBytes bounds the bytes queued for every client
	// together; the client whose packet would pass it is disconnected. A
	// Starling addition.
	MaxTotalPendingBytes int
	// MaxInflightRequests bounds the requests one client has sent and not
	// yet been answered; past it the server stops reading that client until
	// answers go out. A Starling addition.
	MaxInflightRequests int
	// MaxInflightBytes bounds the same requests in bytes. A Starling addition.
	MaxInflightBytes int
	// MaxConnections caps the connected clients (0: no cap); a client past
	// it is refused at CONNECT. A Starling addition.
	MaxConnections int
	// MaxSubscriptions caps each client's plain publish/subscribe
	// subscriptions (with allowPubSub). A Starling addition.
	MaxSubscriptions int
	// MaxRetainedMessages and MaxRetainedBytes bound the retained messages
	// kept for every topic together (with allowPubSub). Starling additions.
	MaxRetainedMessages int
	MaxRetainedBytes    int
	// ReceiveMaximum is the server's MQTT 5 Receive Maximum: how many QoS 2
	// publishes a client may leave unreleased. A Starling addition.
	ReceiveMaximum int
	// ConnectTimeout closes a new connection that did not send its CONNECT
	// in that time. A Starling addition.
	ConnectTimeout time.Duration
	// IdleTimeout closes a connection whose keepalive is 0 when it sent
	// nothing for that long (0: never); a keepalive other than 0 is honoured
	// as MQTT says (one and a half times it). A Starling addition.
	IdleTimeout time.Duration
	// WriteTimeout is how long a write may wait on a client's full socket
	// before the client is disconnected. A Starling addition.
	WriteTimeout time.Duration
	// ShutdownTimeout bounds a graceful shutdown: answers still queued
	// after it are dropped and every client is disconnected. A Starling
	// addition.
	ShutdownTimeout time.Duration
	// WebSocket is server.protocols.mqtt.websocket: MQTT over WebSocket.
	WebSocket MQTTWebSocket
	// TLS is server.protocols.mqtt.tls, TLS on the MQTT listener (a
	// Starling key).
	TLS TLS
}

// MQTTWebSocket holds the server.protocols.mqtt.websocket.* keys: MQTT over
// WebSocket for browser MQTT clients, on a listener of its own. Starling
// additions.
type MQTTWebSocket struct {
	// Enabled opens the listener (default: false).
	Enabled bool
	// Host is the listening address ("" for every interface).
	Host string
	// Port is the listening port (8080); 0 picks a free port.
	Port int
	// Path is the HTTP path of the WebSocket upgrade ("/mqtt", MQTT.js's).
	Path string
	// TLS is server.protocols.mqtt.websocket.tls: WSS instead of WS.
	TLS TLS
}

// Postgres configures the PostgreSQL store (Starling keys).
type Postgres struct {
	// URL is storage.postgres.url, a libpq URL
	// (postgres://user:password@host:port/database?sslmode=...) or
	// key=value string; required when storage.engine is "postgres".
	URL string
	// PoolSize is storage.postgres.poolSize, the number of read
	// connections (default 10); writes have one connection of their own.
	PoolSize int
}

// Storage configures the document store.
type Storage struct {
	// Engine is storage.engine: "sqlite" (default), the embedded database
	// under Path, or "postgres", the database at Postgres.URL. A Starling
	// key.
	Engine string
	// Postgres is storage.postgres, read when Engine is "postgres".
	Postgres Postgres
	// Path is storage.path, the directory of the embedded database
	// (default "./data"), created at start. A Starling key.
	Path string
	// Synchronous is storage.synchronous: "full" (default) flushes every
	// commit to disk before its writes are answered; "normal" answers once
	// the commit is in the operating system's hands, which survives the
	// server's crash (kill -9) but not a power cut or an OS crash. A
	// Starling key.
	Synchronous string
	// ScrollTTL is services.storageEngine.defaults.scrollTTL, the life of
	// a scroll when a search does not give one ("15s").
	ScrollTTL time.Duration
	// MaxScrollTTL is services.storageEngine.maxScrollDuration ("1m").
	MaxScrollTTL time.Duration
}

// Security holds the security.* keys.
type Security struct {
	// AuthToken is security.authToken: how tokens are signed and how long
	// they live.
	AuthToken AuthToken
	// APIKeyMaxTTL is security.apiKey.maxTTL; -1: no bound.
	APIKeyMaxTTL time.Duration
	// Standard is security.standard.
	Standard Standard
	// RestrictedProfileIDs is security.restrictedProfileIds, the profiles
	// security:createRestrictedUser gives (nil: Kuzzle's ["default"]).
	RestrictedProfileIDs []string
	// Local is the local strategy plugin's configuration.
	Local LocalStrategy
}

// AuthToken holds the security.authToken.* keys.
type AuthToken struct {
	// Algorithm signs the tokens (HS256, HS384 or HS512).
	Algorithm string
	// ExpiresIn is a token's life when the login does not say.
	ExpiresIn time.Duration
	// GracePeriod is how long a refreshed token stays valid.
	GracePeriod time.Duration
	// MaxTTL bounds a token's life; -1: no bound.
	MaxTTL time.Duration
	// Secret signs the tokens; "" to use one generated and kept in the
	// store.
	Secret string
}

// Stats configures the statistics frames of server:getStats.
type Stats struct {
	// Enabled is stats.enabled (default true).
	Enabled bool
	// TTL is stats.ttl, how long a frame is kept (3600 seconds).
	TTL time.Duration
	// Interval is stats.statsInterval, the time one frame covers (10
	// seconds). Starling accepts fractions of a second.
	Interval time.Duration
}

// Limits holds the limits.* keys Starling enforces.
type Limits struct {
	// DocumentsFetchCount caps the documents one request reads.
	DocumentsFetchCount int
	// DocumentsWriteCount caps the documents one request writes.
	DocumentsWriteCount int
	// ConcurrentRequests is how many requests run at once.
	ConcurrentRequests int
	// LoginsPerSecond bounds the auth:login requests of one connection in
	// one second (0: no bound).
	LoginsPerSecond int
	// RequestsBufferSize is how many requests may wait for a slot before
	// new ones are refused as overloaded.
	RequestsBufferSize int
	// RequestsBufferWarningThreshold is the waiting count that logs a warning.
	RequestsBufferWarningThreshold int
	// SubscriptionConditionsCount caps the conditions of a normalized filter.
	SubscriptionConditionsCount int
	// SubscriptionMinterms caps the minterms of a normalized filter, the
	// conjunctions its normal form ors together (0: none). Starling's
	// default is 256 where Kuzzle's is 0: an and of ors multiplies out.
	SubscriptionMinterms int
	// SubscriptionRooms caps the number of rooms (0: none).
	SubscriptionRooms int
	// SubscriptionRoomsPerConnection caps the rooms one connection may be
	// in, so that no client takes every room of SubscriptionRooms (0: none).
	// A Starling addition, 1000 by default.
	SubscriptionRoomsPerConnection int
}

// defaults returns Kuzzle's defaults for the keys Starling reads, as the
// JSON tree a kuzzlerc file would hold, with Starling's own keys and the
// defaults it changes.
func defaults() map[string]any {
	return map[string]any{
		"limits": map[string]any{
			"concurrentRequests":             100.0,
			"documentsFetchCount":            10000.0,
			"documentsWriteCount":            200.0,
			"loginsPerSecond":                1.0,
			"requestsBufferSize":             50000.0,
			"requestsBufferWarningThreshold": 5000.0,
			"subscriptionConditionsCount":    100.0,
			"subscriptionMinterms":           256.0, // Starling: Kuzzle's is 0
			"subscriptionRooms":              1000000.0,
			"subscriptionRoomsPerConnection": 1000.0, // Starling's
			"subscriptionDocumentTTL":        259200000.0,
		},
		"plugins": map[string]any{
			"wasm": wasmDefaults(),
			localPlugin: map[string]any{
				"argon2": map[string]any{"memory": 19456.0, "iterations": 2.0, "parallelism": 1.0},
			},
			"common": pluginsCommonDefaults(),
		},
		"services": map[string]any{
			"storageEngine": map[string]any{
				"maxScrollDuration": "1m",
				"defaults":          map[string]any{"scrollTTL": "15s"},
			},
		},
		"cluster": clusterDefaults(),
		"storage": map[string]any{
			"engine":      "sqlite",
			"postgres":    map[string]any{"url": nil, "poolSize": 10.0},
			"path":        "./data",
			"synchronous": "full",
		},
		"security": map[string]any{
			"authToken": map[string]any{
				"algorithm": "HS256", "expiresIn": "1h", "gracePeriod": 1000.0, "maxTTL": -1.0, "secret": nil,
			},
			"apiKey": map[string]any{"maxTTL": -1.0},
		},
		"stats": map[string]any{
			"enabled":       true,
			"ttl":           3600.0,
			"statsInterval": 10.0,
		},
		"server": map[string]any{
			"maxRequestSize": "1MB",
			"logs":           map[string]any{"format": "text"},
			"port":           7512.0,
			"host":           "",
			"tls":            tlsDefaults(),
			"protocols": map[string]any{
				"http": map[string]any{
					"enabled":           true,
					"allowCompression":  true,
					"maxEncodingLayers": 3.0,
				},
				"websocket": map[string]any{
					"enabled":     true,
					"idleTimeout": 60000.0,
				},
				"mqtt": map[string]any{
					"enabled":                 true,
					"allowPubSub":             false,
					"requireAuthentication":   false,
					"developmentMode":         false,
					"disconnectDelay":         250.0,
					"requestTopic":            "Kuzzle/request",
					"responseTopic":           "Kuzzle/response",
					"realtimeNotifications":   true,
					"maxPendingNotifications": 4096.0,
					"maxPendingBytes":         "4MB",
					"maxTotalPendingBytes":    "512MB",
					"maxInflightRequests":     256.0,
					"maxInflightBytes":        "4MB",
					"maxConnections":          100000.0,
					"maxSubscriptions":        1000.0,
					"maxRetainedMessages":     10000.0,
					"maxRetainedBytes":        "64MB",
					"receiveMaximum":          256.0,
					"connectTimeout":          5000.0,
					"idleTimeout":             300000.0,
					"writeTimeout":            10000.0,
					"shutdownTimeout":         10000.0,
					"tls":                     tlsDefaults(),
					"server": map[string]any{
						"host": "",
						"port": 1883.0,
					},
					"websocket": map[string]any{
						"enabled": false,
						"host":    "",
						"port":    8080.0,
						"path":    "/mqtt",
						"tls":     tlsDefaults(),
					},
				},
			},
		},
	}
}
