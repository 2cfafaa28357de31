package wasmhost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/starlingmq/starling/internal/api"
)

// Caller runs an API request on behalf of a guest (the "call" host
// function), as the connection of the request the guest is serving.
// *node.Node satisfies it.
type Caller interface {
	Call(ctx context.Context, payload []byte, conn api.Connection) ([]byte, error)
}

// Registrar adds and removes API controllers at run time. *node.Node
// satisfies it.
type Registrar interface {
	RegisterController(c api.Controller)
	UnregisterController(name string)
}

// Options configures New.
type Options struct {
	// Config holds the module directory, the cache and the limits.
	Config Config
	// Logger receives the host's logs and the guests' (log, stdout,
	// stderr); slog.Default() when nil.
	Logger *slog.Logger
	// Caller serves the guests' API calls; without it they get an error.
	Caller Caller
	// Observer is told of every call into a guest; none when nil.
	Observer Observer
	// State keeps the modules' state (state_* host functions); without
	// it they answer -5, storage failure.
	State State
	// Now is the clock of quarantines; time.Now when nil.
	Now func() time.Time
	// Actions tells which API actions exist, to check the event names of
	// pipes and hooks; without it any well-formed name is accepted.
	Actions Actions
	// Events bounds pipes and hooks (plugins.common).
	Events EventsConfig
}

// Observer is told of every call into a guest: its module's name, its kind
// (KindController for an action, KindFilter for a filter test), how long it
// took and its error (nil on success). It must be safe for concurrent use
// and quick: it runs on the caller's goroutine.
type Observer interface {
	WasmCall(module, kind string, elapsed time.Duration, err error)
}

// The kinds of call an Observer is told of.
const (
	// KindController is a controller action (Module.Handle).
	KindController = "controller"
	// KindFilter is a filter test (Filter.Test).
	KindFilter = "filter"
	// KindPipe is a pipe (EventPlan.Pipe).
	KindPipe = "pipe"
	// KindHook is a hook (EventPlan.Hook).
	KindHook = "hook"
)

// Host loads modules and runs their calls. It is safe for concurrent use;
// Close it once.
type Host struct {
	cfg    Config
	log    *slog.Logger
	caller Caller
	obs    Observer
	state  State
	now    func() time.Time
	cache  wazero.CompilationCache
	dog    *watchdog

	mu       sync.Mutex
	runtimes map[uint32]wazero.Runtime // by memory page limit
	slots    map[string]*slot          // by module name
	closed   bool
	watchers sync.WaitGroup
	stop     chan struct{}
	// Reconfigure's bookkeeping: the names Load was asked for, a
	// generation per name bumped when its settings change, and a nudge to
	// the watchers.
	tried map[string]bool
	gens  map[string]uint64
	kick  chan struct{}

	// Pipes and hooks (events.go, pipes.go, hooks.go).
	actions     Actions
	ecfg        EventsConfig
	eventsMu    sync.Mutex // serialises updates of events
	events      atomic.Pointer[eventTable]
	pipeSlots   chan struct{}
	pipeWaiting atomic.Int64
	hookQueue   chan hookEvent
	hookCtx     context.Context // cancelled by Close
	hookCancel  context.CancelFunc
	hookWorkers sync.WaitGroup
	hookDrops   atomic.Int64
	lastDropLog atomic.Int64
}

// slot holds the current version of a named module; Filters keep the slot
// so that they follow reloads.
type slot struct {
	cur   atomic.Pointer[Module]
	stats moduleStats
}

// moduleName is what a module file may be called (without ".wasm").
var moduleName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

// New returns a Host with no module loaded. ctx is used for the compilation
// cache only.
func New(ctx context.Context, opts Options) (*Host, error) {
	cfg := opts.Config.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("wasm configuration: %w", err)
	}
	h := &Host{
		cfg:      cfg,
		log:      opts.Logger,
		caller:   opts.Caller,
		obs:      opts.Observer,
		state:    opts.State,
		now:      opts.Now,
		runtimes: map[uint32]wazero.Runtime{},
		slots:    map[string]*slot{},
		stop:     make(chan struct{}),
		kick:     make(chan struct{}, 1),
		dog:      newWatchdog(cfg),
		actions:  opts.Actions,
		ecfg:     opts.Events.withDefaults(),
	}
	h.pipeSlots = make(chan struct{}, h.ecfg.MaxConcurrentPipes)
	h.hookQueue = make(chan hookEvent, h.ecfg.HookQueue)
	h.hookCtx, h.hookCancel = context.WithCancel(context.Background())
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.now == nil {
		h.now = time.Now
	}
	h.log = h.log.With("component", "wasm")
	if cfg.CacheDir != "-" {
		cache, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("wasm compilation cache %s: %w", cfg.CacheDir, err)
		}
		h.cache = cache
	} else {
		h.cache = wazero.NewCompilationCache()
	}
	h.watchers.Add(1)
	go func() {
		defer h.watchers.Done()
		h.dog.run(h.stop)
	}()
	for range hookWorkers {
		h.hookWorkers.Add(1)
		go func() {
			defer h.hookWorkers.Done()
			h.runHooks()
		}()
	}
	return h, nil
}

// observe tells the Observer, if any, of a call started at start.
func (h *Host) observe(module, kind string, start time.Time, err error) {
	if h.obs != nil {
		h.obs.WasmCall(module, kind, time.Since(start), err)
	}
}

// Config returns the configuration in effect, defaults filled in.
func (h *Host) Config() Config {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cfg
}

// runtime returns the runtime for a memory limit, creating it (with the
// host modules every guest may import) on first use. Memory limits are a
// runtime setting in wazero, hence one runtime per distinct limit.
//
// WithCloseOnContextDone compiles termination checks into every loop, which
// the watchdog relies on to stop a guest by closing it. It also makes
// wazero start a goroutine per call (~0.5–1 µs, three allocations), even
// for a context without Done channel: the largest part of a call's cost.
func (h *Host) runtime(ctx context.Context, pages uint32) (wazero.Runtime, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, errors.New("host closed")
	}
	if rt, ok := h.runtimes[pages]; ok {
		return rt, nil
	}
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().
		WithCompilationCache(h.cache).
		WithMemoryLimitPages(pages).
		WithCloseOnContextDone(true))
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		_ = rt.Close(ctx)
		return nil, fmt.Errorf("instantiate WASI: %w", err)
	}
	if err := h.instantiateHostModules(ctx, rt); err != nil {
		_ = rt.Close(ctx)
		return nil, err
	}
	h.runtimes[pages] = rt
	return rt, nil
}

// Load compiles and instantiates the module file at path, named after the
// file, and makes it the current version of that name. The version it
// replaces is retired: calls already running on it finish, later ones go to
// the new version. Load does not touch the API; Watch does.
func (h *Host) Load(ctx context.Context, path string) (*Module, error) {
	name := strings.TrimSuffix(filepath.Base(path), ".wasm")
	if !moduleName.MatchString(name) {
		return nil, fmt.Errorf("load module %s: name %q must match %s", path, name, moduleName)
	}
	code, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load module %s: %w", name, err)
	}
	return h.LoadBytes(ctx, name, code)
}

// LoadBytes is Load with the module's name and code given.
func (h *Host) LoadBytes(ctx context.Context, name string, code []byte) (*Module, error) {
	limits, settings := h.moduleConfig(name)
	if err := checkDigest(name, code, settings.SHA256); err != nil {
		return nil, fmt.Errorf("load module %s: %w", name, err)
	}
	rt, err := h.runtime(ctx, limits.MemoryPages)
	if err != nil {
		return nil, fmt.Errorf("load module %s: %w", name, err)
	}
	m, err := newModule(ctx, h, rt, name, code, limits)
	if err != nil {
		return nil, fmt.Errorf("load module %s: %w", name, err)
	}
	m.access = newAccess(name, settings)
	if err := m.prepare(ctx); err != nil {
		m.retire(nil)
		return nil, fmt.Errorf("load module %s: %w", name, err)
	}
	h.mu.Lock()
	s := h.slots[name]
	if s == nil {
		s = &slot{}
		h.slots[name] = s
	}
	h.mu.Unlock()
	if old := s.cur.Swap(m); old != nil {
		old.retire(m)
	}
	m.startTicking()
	h.updateEvents()
	h.log.Info("wasm module loaded", "module", name, "controller", m.ControllerName(),
		"actions", m.manifest.Actions, "filters", m.manifest.Filters, "pipes", m.manifest.Pipes, "hooks", m.manifest.Hooks)
	return m, nil
}

// Unload retires the named module: later calls fail, running ones finish.
func (h *Host) Unload(name string) {
	h.mu.Lock()
	s := h.slots[name]
	h.mu.Unlock()
	if s == nil {
		return
	}
	if old := s.cur.Swap(nil); old != nil {
		old.retire(nil)
		h.updateEvents()
		h.log.Info("wasm module unloaded", "module", name)
	}
}

// Module returns the current version of the named module, nil when none is
// loaded.
func (h *Host) Module(name string) *Module {
	h.mu.Lock()
	s := h.slots[name]
	h.mu.Unlock()
	if s == nil {
		return nil
	}
	return s.cur.Load()
}

// slotOf returns the named module's slot, creating an empty one.
func (h *Host) slotOf(name string) *slot {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.slots[name]
	if s == nil {
		s = &slot{}
		h.slots[name] = s
	}
	return s
}

// Close stops the watchers and the watchdog, retires every module and closes
// the runtimes.
// Calls still running are stopped by the runtimes' closing.
func (h *Host) Close(ctx context.Context) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	close(h.stop)
	h.hookCancel()
	h.mu.Unlock()
	h.watchers.Wait()
	// Hooks still running stop when the runtimes close, below.
	defer h.hookWorkers.Wait()

	h.mu.Lock()
	defer h.mu.Unlock()
	h.events.Store(nil)
	for _, s := range h.slots {
		if m := s.cur.Swap(nil); m != nil {
			m.retire(nil)
		}
	}
	var errs []error
	for pages, rt := range h.runtimes {
		if err := rt.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("close runtime (%d pages): %w", pages, err))
		}
	}
	if err := h.cache.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("close compilation cache: %w", err))
	}
	return errors.Join(errs...)
}
