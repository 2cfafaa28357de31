package node

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/wasmhost"
)

// startWasm loads the Wasm modules of plugins.wasm.dir, registers their
// controllers and watches the directory. The default directory may be
// missing (Wasm is then off); a configured one must exist.
func (n *Node) startWasm(cfg config.Wasm) error {
	if _, err := os.Stat(cfg.Dir); errors.Is(err, fs.ErrNotExist) && !cfg.DirSet {
		n.log.Debug("no Wasm module directory: Wasm controllers off", "dir", cfg.Dir)
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	host, err := wasmhost.New(ctx, wasmhost.Options{Config: wasmConfig(cfg), Logger: n.log, Caller: n})
	if err != nil {
		cancel()
		return fmt.Errorf("start the Wasm host (plugins.wasm): %w", err)
	}
	if err := host.Watch(ctx, "", n); err != nil {
		cancel()
		_ = host.Close(context.Background())
		return fmt.Errorf("plugins.wasm.dir: %w", err)
	}
	n.wasm, n.stopWasm = host, cancel
	n.log.Info("Wasm modules loaded", "dir", cfg.Dir)
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
	}
}

func wasmLimits(l config.WasmLimits) wasmhost.Limits {
	return wasmhost.Limits{
		MemoryPages:   uint32(l.MemoryPages),
		CallTimeout:   l.CallTimeout,
		PoolSize:      l.PoolSize,
		MaxResultSize: l.MaxResultSize,
		Dirs:          l.Dirs,
	}
}
