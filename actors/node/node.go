package node

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"runtime"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/starlingmq/starling/actors/cluster"
	"github.com/starlingmq/starling/actors/connection"
	"github.com/starlingmq/starling/actors/dispatcher"
	"github.com/starlingmq/starling/actors/pool"
	"github.com/starlingmq/starling/actors/realtime"
	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/controllers/server"
	"github.com/starlingmq/starling/internal/httpws"
	"github.com/starlingmq/starling/internal/koncorde"
	"github.com/starlingmq/starling/internal/metrics"
	"github.com/starlingmq/starling/internal/mqtt"
	"github.com/starlingmq/starling/internal/mqttws"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/validation"
	"github.com/starlingmq/starling/wasmhost"
)

// Version is Starling's version, reported by server:info.
const Version = "0.1.0"

// askTimeout bounds the node's questions to its own actors.
const askTimeout = 5 * time.Second

// Options configures Start.
type Options struct {
	// Config is the loaded configuration.
	Config *config.Config
	// Logger receives every log of the node; slog.Default() when nil.
	Logger *slog.Logger
	// Controllers are added to the built-in ones.
	Controllers []api.Controller
}

// Node is a running server. Shut it down once.
type Node struct {
	id         string
	log        *slog.Logger
	system     *actor.ActorSystem
	dispatcher *actor.PID
	registry   *actor.PID
	mqtt       *mqtt.Server
	mqttws     *mqttws.Server // nil when MQTT over WebSocket is disabled
	httpws     *httpws.Server // nil when HTTP and WebSocket are disabled
	realtime   *realtime.Realtime
	cluster    *cluster.Cluster // nil unless cluster.enabled
	clusterCfg config.Cluster
	store      store.Store
	specs      *validation.Registry
	security   *security
	links      tokenLinks
	wasm       *wasmhost.Host
	mailboxes  *pool.Pool
	stopWasm   context.CancelFunc
	pipes      pipeline // the Wasm modules' pipes and hooks (pipes.go)
	stats      *server.Statistics
	exporter   *metrics.Metrics   // Prometheus's view of the node's counters
	stopStats  context.CancelFunc // nil until the frames are written
	started    time.Time
	stopOnce   sync.Once
	stopErr    error
	// controllers is fixed before the dispatcher starts.
	controllers []api.Controller
	// certs are the listeners with TLS on, fixed by Start.
	certs []listenerCerts
}

// Start builds the actor graph and starts listening. On error, whatever
// was started is stopped again.
func Start(opts Options) (_ *Node, err error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	n := &Node{id: newNodeID(), log: log, started: time.Now()}
	n.exporter = n.newExporter()
	n.system = actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(minLevel{slog.LevelWarn, log.Handler()}).With("component", "actors")
	}))
	// Connection and channel actors never block: a message to an idle one
	// is handled by its sender's goroutine.
	n.mailboxes = pool.New(2*runtime.GOMAXPROCS(0), 4096, pool.Inline(4*runtime.GOMAXPROCS(0)))
	defer func() {
		if err != nil {
			n.abort()
		}
	}()
	cfg := opts.Config
	release, err := startLock(cfg.Storage)
	if err != nil {
		return nil, err
	}
	engine, err := openStore(cfg.Storage, log)
	if err != nil {
		release()
		return nil, err
	}
	n.store = engine
	n.specs = validation.NewRegistry()
	err = n.startActors(cfg, opts.Controllers)
	release() // the schema and the built-in definitions are in place
	if err != nil {
		return nil, err
	}
	if err := n.startCluster(cfg.Cluster, cfg.Server.MaxRequestSize); err != nil {
		return nil, err
	}
	if err := n.startWasm(cfg.Wasm, cfg.PluginsCommon); err != nil {
		return nil, err
	}
	sessions := n.sessions(cfg)
	if err := n.startHTTPWS(cfg, sessions); err != nil {
		return nil, err
	}
	if !cfg.Server.MQTT.Enabled {
		log.Warn("MQTT is disabled (server.protocols.mqtt.enabled)")
		return n, nil
	}
	if err := n.startMQTT(cfg, sessions); err != nil {
		return nil, err
	}
	log.Info("starling started", "node", n.id, "version", Version)
	return n, nil
}

// startActors spawns the realtime rooms, the dispatcher with every
// controller, and the connection registry.
func (n *Node) startActors(cfg *config.Config, extra []api.Controller) error {
	var err error
	n.realtime, err = realtime.Start(n.system, realtime.Config{
		Mailboxes: n.mailboxes,
		Counter:   n.exporter,
		Engine: koncorde.New(
			koncorde.WithMaxConditions(cfg.Limits.SubscriptionConditionsCount),
			koncorde.WithMaxMinterms(cfg.Limits.SubscriptionMinterms),
			koncorde.WithExternalFilters(wasmFilters{n}),
		),
		Node:     n.id,
		MaxRooms: cfg.Limits.SubscriptionRooms,
		Encode:   mqtt.AppendPublish,
		Logger:   n.log,
		Validate: n.validatePublished,

		MaxRoomsPerConnection: cfg.Limits.SubscriptionRoomsPerConnection,
	})
	if err != nil {
		return err
	}
	storage, err := n.storageControllers(cfg)
	if err != nil {
		return err
	}
	n.controllers = append([]api.Controller{n.serverController(cfg), n.realtime.Controller()}, storage...)
	guard, err := n.startSecurity(cfg)
	if err != nil {
		return err
	}
	n.controllers = append(n.controllers, n.securityControllers(cfg)...)
	n.withSecurityAdmin(cfg)
	n.controllers = append(n.controllers, extra...)
	root := n.system.Root
	n.dispatcher, err = root.SpawnNamed(dispatcher.Props(dispatcher.Config{
		Node:               n.id,
		MaxRequestSize:     cfg.Server.MaxRequestSize,
		ConcurrentRequests: cfg.Limits.ConcurrentRequests,
		RequestsBufferSize: cfg.Limits.RequestsBufferSize,
		WarningThreshold:   cfg.Limits.RequestsBufferWarningThreshold,
		Controllers:        n.controllers,
		Guard:              guard,
		Logger:             n.log,
		Observer:           n.exporter,
		Pipeline:           &n.pipes,
	}), "dispatcher")
	if err != nil {
		return fmt.Errorf("spawn dispatcher: %w", err)
	}
	n.registry, err = root.SpawnNamed(connection.RegistryProps(), "connections")
	if err != nil {
		return fmt.Errorf("spawn connection registry: %w", err)
	}
	n.startStats()
	return nil
}

// sessions returns the adapter that turns MQTT and WebSocket clients into
// connection actors.
func (n *Node) sessions(cfg *config.Config) *connection.Sessions {
	return connection.NewSessions(connection.Config{
		Root:            n.system.Root,
		Registry:        n.registry,
		Dispatcher:      n.dispatcher,
		Rooms:           n.realtime.Rooms(),
		Channels:        n.realtime,
		Mailboxes:       n.mailboxes,
		DisconnectDelay: cfg.Server.MQTT.DisconnectDelay,
		Logger:          n.log,
		Authenticate:    n.mqttAuthenticator(cfg.Server.MQTT.RequireAuthentication),
	})
}

// startMQTT opens the MQTT listener, whose sessions become connection actors.
func (n *Node) startMQTT(cfg *config.Config, sessions *connection.Sessions) error {
	mcfg := mqttConfig(cfg, n.id)
	var err error
	if mcfg.TLS, err = n.loadTLS("server.protocols.mqtt.tls", cfg.Server.MQTT.TLS); err != nil {
		return err
	}
	n.mqtt = mqtt.New(mcfg, sessions, n.log)
	if err := n.mqtt.Start(); err != nil {
		n.mqtt = nil
		return err
	}
	return n.startMQTTWebSocket(cfg)
}

// mqttConfig maps server.protocols.mqtt.* onto the listener's Config.
func mqttConfig(cfg *config.Config, node string) mqtt.Config {
	m := cfg.Server.MQTT
	return mqtt.Config{
		Host:                 m.Host,
		Port:                 m.Port,
		Node:                 node,
		RequestTopic:         m.RequestTopic,
		ResponseTopic:        m.ResponseTopic,
		AllowPubSub:          m.AllowPubSub,
		BroadcastResponses:   cfg.DevelopmentEnv && m.DevelopmentMode,
		MaxPacketSize:        max(2*cfg.Server.MaxRequestSize, cfg.Server.MaxRequestSize+64<<10),
		MaxPendingPackets:    m.MaxPendingNotifications,
		MaxPendingBytes:      m.MaxPendingBytes,
		MaxTotalPendingBytes: m.MaxTotalPendingBytes,
		MaxInflightRequests:  m.MaxInflightRequests,
		MaxInflightBytes:     m.MaxInflightBytes,
		MaxConnections:       m.MaxConnections,
		MaxSubscriptions:     m.MaxSubscriptions,
		MaxRetainedMessages:  m.MaxRetainedMessages,
		MaxRetainedBytes:     m.MaxRetainedBytes,
		ReceiveMaximum:       m.ReceiveMaximum,
		ConnectTimeout:       m.ConnectTimeout,
		IdleTimeout:          m.IdleTimeout,
		WriteTimeout:         m.WriteTimeout,
	}
}

// abort stops what a failed Start had started.
func (n *Node) abort() {
	ctx, cancel := context.WithTimeout(context.Background(), askTimeout)
	defer cancel()
	if n.stopStats != nil {
		n.stopStats()
	}
	if n.mqttws != nil {
		_ = n.mqttws.Close(ctx)
	}
	if n.mqtt != nil {
		_ = n.mqtt.Close(ctx)
	}
	if n.httpws != nil {
		_ = n.httpws.Close(ctx)
	}
	_ = n.closeWasm(ctx)
	if n.realtime != nil {
		_ = n.realtime.Stop()
	}
	n.stopSecurity()
	if n.store != nil {
		_ = n.store.Close()
	}
	_ = n.stopCluster(ctx)
	if !n.system.IsStopped() { // leaving the cluster stops it
		n.system.Shutdown()
	}
	n.mailboxes.Stop()
}

// ID returns the node id written in every response.
func (n *Node) ID() string { return n.id }

// MQTTAddr returns the MQTT listening address, nil when MQTT is disabled.
func (n *Node) MQTTAddr() net.Addr {
	if n.mqtt == nil {
		return nil
	}
	return n.mqtt.Addr()
}

// HTTPAddr returns the HTTP and WebSocket listening address (server.port),
// nil when both protocols are disabled.
func (n *Node) HTTPAddr() net.Addr {
	if n.httpws == nil {
		return nil
	}
	return n.httpws.Addr()
}

// RegisterController adds a controller to the API, or replaces the one of
// that name; requests already running finish on the old one.
func (n *Node) RegisterController(c api.Controller) {
	n.system.Root.Send(n.dispatcher, dispatcher.Register{Controller: c})
}

// UnregisterController removes a controller from the API.
func (n *Node) UnregisterController(name string) {
	n.system.Root.Send(n.dispatcher, dispatcher.Unregister{Name: name})
}

// Call runs one API request as if conn had sent payload, and returns the
// response JSON. It is how server-side code (Wasm guests) calls the API.
func (n *Node) Call(ctx context.Context, payload []byte, conn api.Connection) ([]byte, error) {
	answer, err := n.ask(ctx, n.dispatcher, dispatcher.Dispatch{Payload: payload, Connection: conn, FromPlugin: true})
	if err != nil {
		return nil, fmt.Errorf("call the API: %w", err)
	}
	return answer.(dispatcher.Response).Payload, nil
}

// Shutdown stops accepting connections, answers every request already
// received (new ones are refused as shutting down), then disconnects the
// clients and stops the actors. Answers are written as their actions end; an
// answer still queued behind a client's full socket is lost with the
// connection. ctx bounds the wait. Later calls return the first call's
// result.
func (n *Node) Shutdown(ctx context.Context) error {
	n.stopOnce.Do(func() { n.stopErr = n.shutdown(ctx) })
	return n.stopErr
}

func (n *Node) shutdown(ctx context.Context) error {
	var errs []error
	if n.stopStats != nil {
		n.stopStats()
	}
	if n.mqtt != nil {
		errs = append(errs, n.mqtt.StopAccepting())
	}
	if n.mqttws != nil {
		errs = append(errs, n.mqttws.StopAccepting())
	}
	if n.httpws != nil {
		errs = append(errs, n.httpws.StopAccepting())
	}
	if _, err := n.ask(ctx, n.dispatcher, dispatcher.Drain{}); err != nil {
		errs = append(errs, fmt.Errorf("drain requests: %w", err))
	}
	if n.mqttws != nil {
		errs = append(errs, n.mqttws.Close(ctx))
	}
	if n.mqtt != nil {
		errs = append(errs, n.mqtt.Close(ctx))
	}
	if n.httpws != nil {
		errs = append(errs, n.httpws.Close(ctx))
	}
	if err := n.closeWasm(ctx); err != nil {
		errs = append(errs, fmt.Errorf("close Wasm modules: %w", err))
	}
	if err := n.realtime.Stop(); err != nil {
		errs = append(errs, fmt.Errorf("stop realtime: %w", err))
	}
	n.stopSecurity()
	if err := n.store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close the store: %w", err))
	}
	root := n.system.Root
	for _, pid := range []*actor.PID{n.dispatcher, n.registry} {
		if err := root.StopFuture(pid).Wait(); err != nil {
			errs = append(errs, fmt.Errorf("stop %s: %w", pid.Id, err))
		}
	}
	if err := n.stopCluster(ctx); err != nil {
		errs = append(errs, err)
	}
	if !n.system.IsStopped() { // leaving the cluster stops it
		n.system.Shutdown()
	}
	n.mailboxes.Stop()
	err := errors.Join(errs...)
	n.log.Info("starling stopped", "node", n.id, "error", err)
	return err
}

// ask sends msg to pid and waits for the answer, at most askTimeout or until
// ctx ends. It is for callers outside the actor system only.
func (n *Node) ask(ctx context.Context, pid *actor.PID, msg any) (any, error) {
	timeout := askTimeout
	if deadline, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(deadline))
	}
	if timeout <= 0 {
		return nil, context.DeadlineExceeded
	}
	return n.system.Root.RequestFuture(pid, msg, timeout).Result()
}

// newNodeID returns an id in the shape of Kuzzle's node ids.
func newNodeID() string {
	v, err := rand.Int(rand.Reader, big.NewInt(100000))
	if err != nil {
		return "knode-starling-0"
	}
	return fmt.Sprintf("knode-starling-%d", v.Int64())
}
