package config

import (
	"math"
	"sort"
	"time"
)

// Wasm holds the plugins.wasm.* keys: Wasm controllers and filters.
type Wasm struct {
	// Dir holds the *.wasm modules, loaded at start and watched for
	// changes. When it is the default and does not exist, Wasm is off.
	Dir string
	// DirSet is true when the configuration named Dir: then it must exist.
	DirSet bool
	// CacheDir keeps compiled modules between runs ("" for the user cache
	// directory, "-" for none).
	CacheDir string
	// WatchInterval is how often Dir is checked for changed modules.
	WatchInterval time.Duration
	// Limits apply to every module…
	Limits WasmLimits
	// …except where Modules, by module name, sets a non-zero value.
	Modules map[string]WasmLimits
	// ModuleSettings holds, by module name, the settings of
	// plugins.wasm.modules.NAME that are no limit.
	ModuleSettings map[string]WasmModule
}

// WasmLimits bound what one module may use; zero means the default.
type WasmLimits struct {
	// MemoryPages caps linear memory in 64 KiB pages.
	MemoryPages int
	// CallTimeout bounds one call into the module.
	CallTimeout time.Duration
	// PoolSize is how many calls may run in parallel.
	PoolSize int
	// MaxResultSize caps a result, in bytes.
	MaxResultSize int
	// Dirs are host directories the module may open ("host[:guest[:ro]]").
	Dirs []string
	// StateQuota bounds the module's state keys and values together, in
	// bytes.
	StateQuota int
	// StateValueSize bounds one state value, in bytes.
	StateValueSize int
}

// wasmDefaults are the plugins.wasm defaults.
func wasmDefaults() map[string]any {
	return map[string]any{
		"dir":           "plugins/wasm",
		"cacheDir":      "",
		"watchInterval": 1000.0,
		"limits": map[string]any{
			"memoryPages":   256.0,
			"callTimeout":   1000.0,
			"poolSize":      0.0,
			"maxResultSize": 1048576.0,
			"dirs":          []any{},

			"stateQuota":     16777216.0,
			"stateValueSize": 65536.0,
		},
		"modules": map[string]any{},
	}
}

// decodeWasm reads plugins.wasm; explicit tells whether the file or the
// environment named its dir.
func (r *reader) decodeWasm(explicitDir bool) Wasm {
	const prefix = "plugins.wasm."
	w := Wasm{
		Dir:           r.nonEmpty(prefix + "dir"),
		DirSet:        explicitDir,
		CacheDir:      r.str(prefix + "cacheDir"),
		WatchInterval: time.Duration(r.integer(prefix+"watchInterval", 10, math.MaxInt32)) * time.Millisecond,
		Limits:        r.wasmLimits(prefix+"limits.", true),
		Modules:       map[string]WasmLimits{},
	}
	w.ModuleSettings = map[string]WasmModule{}
	modules, ok := r.value(prefix + "modules").(map[string]any)
	if !ok {
		r.fail(prefix+"modules", "an object", r.value(prefix+"modules"))
		return w
	}
	names := make([]string, 0, len(modules))
	for name := range modules {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		w.Modules[name] = r.wasmLimits(prefix+"modules."+name+".", false)
		w.ModuleSettings[name] = r.wasmModule(prefix + "modules." + name + ".")
	}
	return w
}

// wasmLimits reads one limits object; in a module override, absent keys
// stay zero (the general limit applies).
func (r *reader) wasmLimits(prefix string, required bool) WasmLimits {
	num := func(key string, min int) int {
		if !required && r.value(prefix+key) == nil {
			return 0
		}
		return r.integer(prefix+key, min, math.MaxInt32)
	}
	l := WasmLimits{
		MemoryPages:   num("memoryPages", 1),
		CallTimeout:   time.Duration(num("callTimeout", 1)) * time.Millisecond,
		PoolSize:      num("poolSize", 0),
		MaxResultSize: num("maxResultSize", 1),

		StateQuota: num("stateQuota", 1),
		// state_incr writes up to 20 bytes (an int64 in decimal).
		StateValueSize: num("stateValueSize", 20),
	}
	if l.MemoryPages > 65536 {
		r.fail(prefix+"memoryPages", "at most 65536 (4 GiB)", float64(l.MemoryPages))
	}
	if raw := r.value(prefix + "dirs"); raw != nil {
		list, ok := raw.([]any)
		if !ok {
			r.fail(prefix+"dirs", "an array of strings", raw)
		}
		for _, d := range list {
			s, ok := d.(string)
			if !ok || s == "" {
				r.fail(prefix+"dirs", "an array of strings", raw)
				break
			}
			l.Dirs = append(l.Dirs, s)
		}
	}
	return l
}
