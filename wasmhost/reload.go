package wasmhost

import (
	"fmt"
	"sort"
)

// moduleConfig returns the limits and settings the named module loads
// with now; they change with Reconfigure.
func (h *Host) moduleConfig(name string) (Limits, Settings) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.tried == nil {
		h.tried = map[string]bool{}
	}
	h.tried[name] = true
	return h.cfg.limitsFor(name), h.cfg.settingsFor(name)
}

// confGen returns a number that changes whenever Reconfigure changes the
// named module's limits or settings.
func (h *Host) confGen(name string) uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.gens[name]
}

// Reconfigure replaces the limits and the module settings (Limits, Modules
// and Settings of cfg; Dir, CacheDir and WatchInterval stay as they were)
// and returns, sorted, the names of the modules they change. Watch reloads
// those, as if their files had changed, at once; the others are left
// alone. An invalid cfg changes nothing. Modules loaded with Load are not
// reloaded: load them again.
func (h *Host) Reconfigure(cfg Config) ([]string, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("wasm configuration: %w", err)
	}
	h.mu.Lock()
	old := h.cfg
	names := map[string]bool{}
	for name := range h.tried {
		names[name] = true
	}
	for name := range h.slots {
		names[name] = true
	}
	for name := range old.Modules {
		names[name] = true
	}
	for name := range cfg.Modules {
		names[name] = true
	}
	for name := range old.Settings {
		names[name] = true
	}
	for name := range cfg.Settings {
		names[name] = true
	}
	next := old
	next.Limits, next.Modules, next.Settings = cfg.Limits, cfg.Modules, cfg.Settings
	var changed []string
	for name := range names {
		if !sameModuleConfig(old, next, name) {
			if h.gens == nil {
				h.gens = map[string]uint64{}
			}
			h.gens[name]++
			changed = append(changed, name)
		}
	}
	h.cfg.Limits, h.cfg.Modules, h.cfg.Settings = next.Limits, next.Modules, next.Settings
	h.mu.Unlock()
	h.dog.retick.Store(int64(tickFor(next)))
	sort.Strings(changed)
	if len(changed) > 0 {
		select {
		case h.kick <- struct{}{}:
		default:
		}
	}
	return changed, nil
}
