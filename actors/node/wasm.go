package node

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/controllers/server"
	"github.com/starlingmq/starling/internal/koncorde"
	"github.com/starlingmq/starling/internal/wasmstate"
	"github.com/starlingmq/starling/wasmhost"
)

// startWasm loads the Wasm modules of plugins.wasm.dir, registers their
// controllers and watches the directory. The default directory may be
// missing (Wasm is then off); a configured one must exist.
func (n *Node) startWasm(cfg config.Wasm, common config.PluginsCommon) error {
	dir := cfg.Dir
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if _, err := os.Stat(cfg.Dir); errors.Is(err, fs.ErrNotExist) && !cfg.DirSet {
		n.log.Info("Wasm off: no module directory (plugins.wasm.dir)", "dir", dir)
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	state, err := wasmstate.Open(ctx, n.store, n.log)
	if err != nil {
		cancel()
		return fmt.Errorf("start the Wasm modules' state: %w", err)
	}
	host, err := wasmhost.New(ctx, wasmhost.Options{Config: wasmConfig(cfg), Logger: n.log, Caller: n, Observer: n.exporter, State: state,
		Actions: newAPIActions(n.controllers), Events: eventsConfig(common)})
	if err != nil {
		cancel()
		return fmt.Errorf("start the Wasm host (plugins.wasm): %w", err)
	}
	n.pipes.host.Store(host)
	if err := host.Watch(ctx, "", n); err != nil {
		n.pipes.host.Store(nil)
		cancel()
		_ = host.Close(context.Background())
		return fmt.Errorf("plugins.wasm.dir: %w", err)
	}
	n.wasm, n.stopWasm = host, cancel
	n.log.Info("Wasm on: modules loaded, watching the module directory", "dir", dir, "watchInterval", cfg.WatchInterval)
	return nil
}

// closeWasm stops watching and closes the modules.
func (n *Node) closeWasm(ctx context.Context) error {
	if n.wasm == nil {
		return nil
	}
	n.stopWasm()
	return n.wasm.Close(ctx)
}

// wasmConfig maps the configuration keys to the host's settings.
func wasmConfig(c config.Wasm) wasmhost.Config {
	modules := make(map[string]wasmhost.Limits, len(c.Modules))
	for name, l := range c.Modules {
		modules[name] = wasmLimits(l)
	}
	return wasmhost.Config{
		Dir:           c.Dir,
		CacheDir:      c.CacheDir,
		WatchInterval: c.WatchInterval,
		Limits:        wasmLimits(c.Limits),
		Modules:       modules,
		Settings:      wasmSettings(c.ModuleSettings),
	}
}

// wasmSettings maps plugins.wasm.modules.NAME's settings that are no limit.
func wasmSettings(c map[string]config.WasmModule) map[string]wasmhost.Settings {
	settings := make(map[string]wasmhost.Settings, len(c))
	for name, s := range c {
		settings[name] = wasmhost.Settings{
			Config:         s.Config,
			AllowedActions: s.AllowedActions,
			AllowedHosts:   s.AllowedHosts,
			SHA256:         s.SHA256,
		}
	}
	return settings
}

// ReloadWasm applies plugins.wasm's limits and module settings from cfg
// (a configuration read again, on SIGHUP): the modules whose settings
// changed are reloaded as if their files had changed, and their names
// returned; the others keep running. The module directory, the cache and
// the watch interval are kept. Wasm off (no module directory at start)
// stays off. An invalid cfg changes nothing.
func (n *Node) ReloadWasm(cfg config.Wasm) ([]string, error) {
	if n.wasm == nil {
		return nil, nil
	}
	changed, err := n.wasm.Reconfigure(wasmConfig(cfg))
	if err != nil {
		return nil, fmt.Errorf("plugins.wasm: %w", err)
	}
	return changed, nil
}

func wasmLimits(l config.WasmLimits) wasmhost.Limits {
	return wasmhost.Limits{
		MemoryPages:   uint32(l.MemoryPages),
		CallTimeout:   l.CallTimeout,
		PoolSize:      l.PoolSize,
		MaxResultSize: l.MaxResultSize,
		Dirs:          l.Dirs,

		StateQuota:     int64(l.StateQuota),
		StateValueSize: l.StateValueSize,
	}
}

// wasmFilters resolves the "wasm" keyword of realtime filters to the node's
// Wasm modules. It is read only after Start, once the host is set.
type wasmFilters struct{ n *Node }

// Resolve binds a module's filter to its arguments.
func (w wasmFilters) Resolve(module, name string, args []byte) (koncorde.ExternalFilter, error) {
	if w.n.wasm == nil {
		return nil, errors.New("Wasm modules are off: no plugins.wasm.dir directory")
	}
	f, err := w.n.wasm.Filter(module, name, args)
	if err != nil {
		return nil, err
	}
	return wasmFilter{f}, nil
}

// wasmFilter runs one bound Wasm filter; the host's per-call deadline bounds
// it.
type wasmFilter struct{ f *wasmhost.Filter }

// Test reports whether the document matches.
func (w wasmFilter) Test(doc []byte) (bool, error) {
	return w.f.Test(context.Background(), doc)
}

// wasmMetrics returns each loaded module's line of server:metrics, nil when
// Wasm is off.
func (n *Node) wasmMetrics() map[string]server.WasmModule {
	if n.wasm == nil {
		return nil
	}
	stats := n.wasm.Stats()
	out := make(map[string]server.WasmModule, len(stats))
	for name, s := range stats {
		w := server.WasmModule{
			Calls: s.Calls, Errors: s.Errors, Traps: s.Traps,
			P50: millis(s.P50), P99: millis(s.P99),
			Instances: s.Instances, Memory: s.MemoryBytes,
		}
		if !s.QuarantinedUntil.IsZero() {
			until := s.QuarantinedUntil.UnixMilli()
			w.QuarantinedUntil = &until
		}
		out[name] = w
	}
	return out
}

// millis returns d in milliseconds.
func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
