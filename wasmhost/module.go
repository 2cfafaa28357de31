package wasmhost

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/tetratelabs/wazero"
	wapi "github.com/tetratelabs/wazero/api"

	"github.com/starlingmq/starling/internal/jsonx"
)

// ABIVersion is the newest guest ABI this host speaks (guests/README.md).
// Version 2 lets the host keep the input buffer starling_alloc returned;
// version 1 guests get starling_alloc before every call.
const ABIVersion = 3

// minABIVersion is the oldest guest ABI this host speaks.
const minABIVersion = 1

// The exports of the ABI.
const (
	exportVersion  = "starling_abi_version"
	exportAlloc    = "starling_alloc"
	exportManifest = "starling_manifest"
	exportHandle   = "starling_handle"
	exportFilter   = "starling_filter"
	exportPipe     = "starling_pipe"
	exportHook     = "starling_hook"
)

// Manifest is what a guest says it provides (its starling_manifest export).
type Manifest struct {
	// Controller is the controller name; the API knows it as
	// "<module>/<controller>", as Kuzzle names plugin controllers.
	Controller string `json:"controller,omitempty"`
	// Actions are the controller's actions, all served by starling_handle.
	Actions []string `json:"actions,omitempty"`
	// Filters are the filter names starling_filter answers to.
	Filters []string `json:"filters,omitempty"`
	// Tick is the period of starling_tick in milliseconds (ABI 3, at least
	// 100), 0 for none.
	Tick int64 `json:"tick,omitempty"`
	// Pipes are the events starling_pipe serves (ABI 3).
	Pipes []string `json:"pipes,omitempty"`
	// Hooks are the events starling_hook is told of (ABI 3).
	Hooks []string `json:"hooks,omitempty"`
}

// Module is one loaded version of a module file: its compiled code, its
// manifest and its pool of instances. It is safe for concurrent use.
type Module struct {
	host     *Host
	name     string
	limits   Limits
	compiled wazero.CompiledModule
	rt       wazero.Runtime
	config   wazero.ModuleConfig
	manifest Manifest
	abi      int32 // the guest's ABI version
	log      *slog.Logger
	access   *access      // settings, compiled; nil until LoadBytes sets them
	stats    *moduleStats // the module name's, shared by its versions
	q        quarantine

	// slots admits at most limits.PoolSize calls at a time.
	slots chan struct{}

	mu      sync.Mutex
	idle    []*instance
	busy    int
	retired bool
	closed  bool
	next    *Module // the version that replaced this one, if any
}

// signature is an export's expected parameter and result types.
type signature struct{ params, results []wapi.ValueType }

var (
	i32 = wapi.ValueTypeI32
	i64 = wapi.ValueTypeI64
)

// abiExports lists the exports and their signatures; required ones first.
var abiExports = []struct {
	name     string
	sig      signature
	required bool
}{
	{exportVersion, signature{nil, []wapi.ValueType{i32}}, true},
	{exportAlloc, signature{[]wapi.ValueType{i32}, []wapi.ValueType{i32}}, true},
	{exportManifest, signature{nil, []wapi.ValueType{i64}}, true},
	{exportHandle, signature{[]wapi.ValueType{i32, i32}, []wapi.ValueType{i64}}, false},
	{exportFilter, signature{[]wapi.ValueType{i32, i32}, []wapi.ValueType{i32}}, false},
	{exportInit, signature{[]wapi.ValueType{i32, i32}, []wapi.ValueType{i64}}, false},
	{exportTick, signature{[]wapi.ValueType{i32, i32}, []wapi.ValueType{i64}}, false},
	{exportPipe, signature{[]wapi.ValueType{i32, i32}, []wapi.ValueType{i64}}, false},
	{exportHook, signature{[]wapi.ValueType{i32, i32}, []wapi.ValueType{i64}}, false},
}

// newModule compiles code, checks its exports, starts one instance and
// reads the manifest from it.
func newModule(ctx context.Context, h *Host, rt wazero.Runtime, name string, code []byte, limits Limits) (*Module, error) {
	compiled, err := rt.CompileModule(ctx, code)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	m := &Module{
		host: h, name: name, limits: limits, compiled: compiled, rt: rt,
		log:   h.log.With("module", name),
		stats: h.statsOf(name),
		slots: make(chan struct{}, limits.PoolSize),
	}
	if err := m.checkExports(); err != nil {
		_ = compiled.Close(ctx)
		return nil, err
	}
	if m.config, err = m.moduleConfig(); err != nil {
		_ = compiled.Close(ctx)
		return nil, err
	}
	in, err := m.newInstance(ctx)
	if err != nil {
		_ = compiled.Close(ctx)
		return nil, err
	}
	if err := m.readManifest(in); err != nil {
		in.close()
		_ = compiled.Close(ctx)
		return nil, err
	}
	m.idle = append(m.idle, in)
	return m, nil
}

// checkExports verifies the ABI exports a guest must have, and the
// signature of every ABI export it has.
func (m *Module) checkExports() error {
	defs := m.compiled.ExportedFunctions()
	for _, e := range abiExports {
		def, ok := defs[e.name]
		if !ok {
			if e.required {
				return fmt.Errorf("missing export %s (see guests/README.md)", e.name)
			}
			continue
		}
		if !sameTypes(def.ParamTypes(), e.sig.params) || !sameTypes(def.ResultTypes(), e.sig.results) {
			return fmt.Errorf("export %s has signature %v -> %v, want %v -> %v",
				e.name, typeNames(def.ParamTypes()), typeNames(def.ResultTypes()),
				typeNames(e.sig.params), typeNames(e.sig.results))
		}
	}
	return nil
}

func sameTypes(a, b []wapi.ValueType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func typeNames(ts []wapi.ValueType) []string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = wapi.ValueTypeName(t)
	}
	return names
}

// moduleConfig is how every instance of the module is set up: a reactor,
// real clocks and randomness, stdout/stderr to the log, the configured
// directories and nothing else.
func (m *Module) moduleConfig() (wazero.ModuleConfig, error) {
	cfg := wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions("_initialize").
		WithSysWalltime().WithSysNanotime().WithSysNanosleep().
		WithRandSource(rand.Reader).
		WithStdout(logWriter{m.log, slog.LevelInfo, "stdout"}).
		WithStderr(logWriter{m.log, slog.LevelWarn, "stderr"})
	if len(m.limits.Dirs) > 0 {
		fs := wazero.NewFSConfig()
		for _, d := range m.limits.Dirs {
			host, guest, ro, err := parseMount(d)
			if err != nil {
				return nil, err
			}
			if ro {
				fs = fs.WithReadOnlyDirMount(host, guest)
			} else {
				fs = fs.WithDirMount(host, guest)
			}
		}
		cfg = cfg.WithFSConfig(fs)
	}
	return cfg, nil
}

// readManifest checks the ABI version and decodes the manifest.
func (m *Module) readManifest(in *instance) error {
	v, err := in.invoke(in.version, nil, initTimeout)
	if err != nil {
		return fmt.Errorf("%s: %w", exportVersion, err)
	}
	if v := int32(v); v < minABIVersion || v > ABIVersion {
		return fmt.Errorf("guest ABI version %d, this host speaks %d to %d", v, minABIVersion, ABIVersion)
	}
	m.abi, in.abi = int32(v), int32(v)
	out, err := in.callPacked(in.manifestFn, nil, initTimeout, m.limits.MaxResultSize)
	if err != nil {
		return fmt.Errorf("%s: %w", exportManifest, err)
	}
	if err := jsonx.Unmarshal(out.data, &m.manifest); err != nil {
		return fmt.Errorf("%s: invalid manifest %q: %w", exportManifest, clip(out.data), err)
	}
	if len(m.manifest.Actions) > 0 && (m.manifest.Controller == "" || in.handle == nil) {
		return fmt.Errorf("manifest names actions: it needs a controller name and the %s export", exportHandle)
	}
	if len(m.manifest.Filters) > 0 && in.filter == nil {
		return fmt.Errorf("manifest names filters: it needs the %s export", exportFilter)
	}
	if err := m.checkEventManifest(in); err != nil {
		return err
	}
	if len(m.manifest.Actions) == 0 && len(m.manifest.Filters) == 0 && len(m.manifest.Pipes) == 0 && len(m.manifest.Hooks) == 0 && m.manifest.Tick == 0 {
		return errors.New("manifest names no action, no filter, no pipe, no hook and no tick")
	}
	return nil
}

// Name returns the module's name (its file name without ".wasm").
func (m *Module) Name() string { return m.name }

// Manifest returns what the guest provides.
func (m *Module) Manifest() Manifest { return m.manifest }

// Limits returns the limits the module runs under.
func (m *Module) Limits() Limits { return m.limits }

// ControllerName returns the API name of the module's controller,
// "<module>/<controller>", or "" when it has none.
func (m *Module) ControllerName() string {
	if m.manifest.Controller == "" {
		return ""
	}
	return m.name + "/" + m.manifest.Controller
}

// errRetired says a retired module took no new call.
var errRetired = errors.New("module unloaded")

// acquire waits for a free slot and returns an instance of this version,
// or errRetired when it has been replaced or unloaded.
func (m *Module) acquire(ctx context.Context) (*instance, error) {
	select {
	case m.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	m.mu.Lock()
	if m.retired {
		m.mu.Unlock()
		<-m.slots
		return nil, errRetired
	}
	m.busy++
	var in *instance
	if n := len(m.idle); n > 0 {
		in, m.idle = m.idle[n-1], m.idle[:n-1]
	}
	m.mu.Unlock()
	if in != nil {
		return in, nil
	}
	in, err := m.newInstance(ctx)
	if err != nil {
		m.release(nil, false)
		return nil, err
	}
	return in, nil
}

// release gives an instance back; a broken one (reusable false) is closed
// and will be replaced by the next acquire.
func (m *Module) release(in *instance, reusable bool) {
	if in != nil && !in.broken {
		in.countMemory()
	}
	m.mu.Lock()
	m.busy--
	keep := in != nil && reusable && !m.retired
	if keep {
		m.idle = append(m.idle, in)
	}
	closeAll := m.retired && m.busy == 0 && !m.closed
	if closeAll {
		m.closed = true
	}
	m.mu.Unlock()
	<-m.slots
	if in != nil && !keep {
		in.close()
	}
	if closeAll {
		m.closeCompiled()
	}
}

// retire stops new calls on this version (they go to next, if any); idle
// instances are closed now, busy ones when their call returns.
func (m *Module) retire(next *Module) {
	m.mu.Lock()
	m.retired = true
	m.next = next
	idle := m.idle
	m.idle = nil
	closeAll := m.busy == 0 && !m.closed
	if closeAll {
		m.closed = true
	}
	m.mu.Unlock()
	m.access.close()
	for _, in := range idle {
		in.close()
	}
	if closeAll {
		m.closeCompiled()
	}
}

// successor returns the version that replaced this one, nil if unloaded.
func (m *Module) successor() *Module {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.next
}

func (m *Module) closeCompiled() {
	if err := m.compiled.Close(context.Background()); err != nil {
		m.log.Warn("close compiled module", "err", err)
	}
}
