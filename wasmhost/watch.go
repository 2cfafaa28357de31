package wasmhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// fileState is what tells a replaced module file from the loaded one.
type fileState struct {
	modTime time.Time
	size    int64
	gen     uint64 // Host.confGen: changed settings reload the module
}

// watcher keeps a directory's modules loaded and their controllers
// registered. Only its own goroutine uses it after the first scan.
type watcher struct {
	h    *Host
	dir  string
	r    Registrar
	seen map[string]fileState // by module name, loaded or not
	// controllers maps a module name to the controller it registered.
	controllers map[string]string
	// waiting holds, during a scan, the modules that named unknown events.
	waiting map[string]error
}

// Watch loads every *.wasm module of dir (Config.Dir when empty), registers
// their controllers with r, then polls dir every Config.WatchInterval until
// ctx ends or the host closes: a new file is loaded, a replaced one reloaded
// (calls in flight finish on the old version), a removed one unloaded and
// its controller unregistered. A module that fails to load is logged and
// skipped; the one it would replace stays. Replace files atomically (write
// beside, then rename) so that a half-written file is never read.
//
// Watch returns once the first scan is done; its error is the directory's.
func (h *Host) Watch(ctx context.Context, dir string, r Registrar) error {
	if dir == "" {
		dir = h.cfg.Dir
	}
	w := &watcher{h: h, dir: dir, r: r, seen: map[string]fileState{}, controllers: map[string]string{}}
	if err := w.scan(ctx); err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return errors.New("watch: host closed")
	}
	h.watchers.Add(1)
	go w.run(ctx)
	return nil
}

func (w *watcher) run(ctx context.Context) {
	defer w.h.watchers.Done()
	tick := time.NewTicker(w.h.cfg.WatchInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.h.stop:
			return
		case <-tick.C:
		case <-w.h.kick: // Reconfigure changed some modules' settings
		}
		if err := w.scan(ctx); err != nil {
			w.h.log.Warn("wasm module directory", "dir", w.dir, "err", err)
		}
	}
}

// scan brings the loaded modules in line with the directory.
func (w *watcher) scan(ctx context.Context) error {
	entries, err := os.ReadDir(w.dir)
	if err != nil {
		return fmt.Errorf("watch %s: %w", w.dir, err)
	}
	present := map[string]bool{}
	var waiting []string // modules naming events of modules not loaded yet
	w.waiting = map[string]error{}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".wasm")
		if !ok || e.IsDir() {
			continue
		}
		present[name] = true
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		state := fileState{info.ModTime(), info.Size(), w.h.confGen(name)}
		if old, ok := w.seen[name]; ok && old == state {
			continue
		}
		w.seen[name] = state
		if w.load(ctx, name) == errWaiting {
			waiting = append(waiting, name)
		}
	}
	w.retry(ctx, waiting)
	for name := range w.seen {
		if !present[name] {
			delete(w.seen, name)
			w.unload(name)
		}
	}
	return nil
}

// load (re)loads one module and (re)registers its controller; it returns
// errWaiting when the module names events the API lacks.
func (w *watcher) load(ctx context.Context, name string) error {
	m, err := w.h.Load(ctx, filepath.Join(w.dir, name+".wasm"))
	if err != nil {
		var unknown *unknownEvents
		if errors.As(err, &unknown) {
			w.waiting[name] = err // logged by retry if it stays
			return errWaiting
		}
		w.h.log.Error("wasm module not loaded", "module", name, "err", err)
		return err
	}
	c, ok := m.Controller()
	if prev := w.controllers[name]; prev != "" && (!ok || prev != c.Name) {
		w.r.UnregisterController(prev)
		delete(w.controllers, name)
	}
	if ok {
		w.r.RegisterController(c)
		w.controllers[name] = c.Name
	}
	return nil
}

// unload removes a module whose file is gone.
func (w *watcher) unload(name string) {
	if c := w.controllers[name]; c != "" {
		w.r.UnregisterController(c)
		delete(w.controllers, name)
	}
	w.h.Unload(name)
}
