package wasmhost

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Defaults of Config and Limits, used for every zero field.
const (
	// DefaultDir is where modules are looked for.
	DefaultDir = "plugins/wasm"
	// DefaultMemoryPages is 16 MiB of linear memory (64 KiB pages).
	DefaultMemoryPages = 256
	// DefaultCallTimeout bounds one call into a guest.
	DefaultCallTimeout = time.Second
	// DefaultMaxResultSize bounds what a guest may return, in bytes.
	DefaultMaxResultSize = 1 << 20
	// DefaultWatchInterval is how often Watch looks for changed files.
	DefaultWatchInterval = time.Second
	// DefaultStateQuota bounds a module's state (keys and values), in bytes.
	DefaultStateQuota = 16 << 20
	// DefaultStateValueSize bounds one state value, in bytes.
	DefaultStateValueSize = 64 << 10
)

// maxPages is WebAssembly's 32-bit address space in 64 KiB pages.
const maxPages = 65536

// initTimeout bounds a guest's start function (Go's runtime start is the
// slowest known: a few milliseconds).
const initTimeout = 10 * time.Second

// Config configures a Host. Zero fields take the Default* values; Validate
// reports values out of range. It maps to the kuzzlerc "plugins.wasm"
// section.
type Config struct {
	// Dir is the directory *.wasm modules are loaded from and watched in;
	// a module's name is its file name without ".wasm".
	Dir string
	// CacheDir holds compiled modules between runs. Empty means a
	// "starling/wasm" folder in the user cache directory (or the temporary
	// directory when there is none); "-" disables the disk cache.
	CacheDir string
	// WatchInterval is how often Watch polls Dir for added, replaced and
	// removed files.
	WatchInterval time.Duration
	// Limits apply to every module ...
	Limits Limits
	// ... except where Modules, keyed by module name, sets a non-zero field.
	Modules map[string]Limits
	// Settings, keyed by module name, are the modules' configuration and
	// permissions (see Settings).
	Settings map[string]Settings
}

// Limits bound what one module may use.
type Limits struct {
	// MemoryPages caps each instance's linear memory, in 64 KiB pages.
	MemoryPages uint32
	// CallTimeout bounds one call (handle or filter test); a guest still
	// running then is stopped, its caller gets core.sandbox.timeout and its
	// instance is replaced.
	CallTimeout time.Duration
	// PoolSize is the number of instances, hence of parallel calls, of the
	// module; default GOMAXPROCS.
	PoolSize int
	// MaxResultSize caps a guest's result (and its API calls' payloads),
	// in bytes.
	MaxResultSize int
	// Dirs are the host directories the guest may open, as "path" (seen at
	// the same path) or "hostpath:guestpath"; "hostpath:guestpath:ro" mounts
	// read-only. None by default: a guest sees no file system. Guests have
	// no network in any case: no host function offers one.
	Dirs []string
	// StateQuota bounds the bytes of the module's state keys and values
	// together (state_set and state_incr past it answer -3).
	StateQuota int64
	// StateValueSize bounds one state value, in bytes (-2 past it).
	StateValueSize int
}

// withDefaults fills every zero field.
func (c Config) withDefaults() Config {
	if c.Dir == "" {
		c.Dir = DefaultDir
	}
	if c.CacheDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		c.CacheDir = filepath.Join(base, "starling", "wasm")
	}
	if c.WatchInterval <= 0 {
		c.WatchInterval = DefaultWatchInterval
	}
	c.Limits = c.Limits.over(Limits{
		MemoryPages:   DefaultMemoryPages,
		CallTimeout:   DefaultCallTimeout,
		PoolSize:      runtime.GOMAXPROCS(0),
		MaxResultSize: DefaultMaxResultSize,

		StateQuota:     DefaultStateQuota,
		StateValueSize: DefaultStateValueSize,
	})
	return c
}

// over returns l with its zero fields taken from base.
func (l Limits) over(base Limits) Limits {
	if l.MemoryPages == 0 {
		l.MemoryPages = base.MemoryPages
	}
	if l.CallTimeout <= 0 {
		l.CallTimeout = base.CallTimeout
	}
	if l.PoolSize <= 0 {
		l.PoolSize = base.PoolSize
	}
	if l.MaxResultSize <= 0 {
		l.MaxResultSize = base.MaxResultSize
	}
	if l.Dirs == nil {
		l.Dirs = base.Dirs
	}
	if l.StateQuota <= 0 {
		l.StateQuota = base.StateQuota
	}
	if l.StateValueSize <= 0 {
		l.StateValueSize = base.StateValueSize
	}
	return l
}

// limitsFor returns the limits of the named module.
func (c Config) limitsFor(name string) Limits {
	return c.Modules[name].over(c.Limits)
}

// Validate reports the first value out of range.
func (c Config) Validate() error {
	check := func(where string, l Limits) error {
		if l.MemoryPages > maxPages {
			return fmt.Errorf("%s: memory pages %d above %d", where, l.MemoryPages, maxPages)
		}
		for _, d := range l.Dirs {
			if _, _, _, err := parseMount(d); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		}
		return nil
	}
	if err := check("limits", c.Limits); err != nil {
		return err
	}
	for name, l := range c.Modules {
		if err := check("module "+name, l); err != nil {
			return err
		}
	}
	return c.validateSettings()
}

// parseMount splits "host[:guest[:ro]]".
func parseMount(s string) (host, guest string, readOnly bool, err error) {
	parts := strings.Split(s, ":")
	if len(parts) > 3 || parts[0] == "" || (len(parts) == 3 && parts[2] != "ro") {
		return "", "", false, fmt.Errorf("directory %q is not path[:guestpath[:ro]]", s)
	}
	host, guest = parts[0], parts[0]
	if len(parts) > 1 && parts[1] != "" {
		guest = parts[1]
	}
	return host, guest, len(parts) == 3, nil
}
