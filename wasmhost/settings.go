package wasmhost

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	wapi "github.com/tetratelabs/wazero/api"

	"github.com/starlingmq/starling/internal/jsonx"
)

// Settings are what a module is given and allowed beyond its limits
// (guests/README.md, "Configuration of a module"). They apply to ABI 3
// guests; older ones import none of the host functions that read them.
type Settings struct {
	// Config is the module's configuration, any JSON, nil for none: what
	// the config host function returns and starling_init receives.
	Config jsonx.RawMessage
	// AllowedActions are "controller:action" patterns ("*" matches any run
	// of characters) the module's starling.call may run; nil allows every
	// action, an empty list none.
	AllowedActions []string
	// AllowedHosts are the hosts http_request may reach: "host" (ports 80
	// and 443), "*.domain" (any subdomain, ports 80 and 443) or "host:port";
	// none when empty.
	AllowedHosts []string
	// SHA256 pins the module file: a file with another digest (64 hex
	// digits, any case) is not loaded. "" for no pin.
	SHA256 string
}

// settingsFor returns the settings of the named module.
func (c Config) settingsFor(name string) Settings { return c.Settings[name] }

// validateSettings reports the first module setting out of syntax.
func (c Config) validateSettings() error {
	for name, s := range c.Settings {
		if err := s.validate(); err != nil {
			return fmt.Errorf("module %s: %w", name, err)
		}
	}
	return nil
}

func (s Settings) validate() error {
	if len(s.Config) > 0 && !jsonx.Valid(s.Config) {
		return fmt.Errorf("config: not JSON: %q", clip(s.Config))
	}
	for _, p := range s.AllowedActions {
		if _, err := parseActionPattern(p); err != nil {
			return fmt.Errorf("allowedActions: %w", err)
		}
	}
	for _, p := range s.AllowedHosts {
		if _, err := parseHostPattern(p); err != nil {
			return fmt.Errorf("allowedHosts: %w", err)
		}
	}
	if s.SHA256 != "" {
		if _, err := hex.DecodeString(s.SHA256); err != nil || len(s.SHA256) != 64 {
			return fmt.Errorf("sha256: %q is not 64 hexadecimal digits", s.SHA256)
		}
	}
	return nil
}

// sameModuleConfig reports whether a module would run the same under two
// configurations (limits and settings).
func sameModuleConfig(a, b Config, name string) bool {
	return reflect.DeepEqual(a.limitsFor(name), b.limitsFor(name)) &&
		reflect.DeepEqual(a.settingsFor(name), b.settingsFor(name))
}

// actionPattern is one compiled "controller:action" pattern.
type actionPattern struct{ controller, action string }

// patternChars are what a pattern's controller and action may hold: the
// characters of API names, "/" (plugin controllers) and the "*" wildcard.
func patternChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '-' || c == '/' || c == '*'
}

func parseActionPattern(p string) (actionPattern, error) {
	ctl, act, ok := strings.Cut(p, ":")
	valid := ok && ctl != "" && act != ""
	for i := 0; valid && i < len(p); i++ {
		valid = p[i] == ':' || patternChar(p[i])
	}
	if !valid || strings.Contains(act, ":") {
		return actionPattern{}, fmt.Errorf("%q is not controller:action (letters, digits, _ - / and * wildcards)", p)
	}
	return actionPattern{ctl, act}, nil
}

// glob reports whether s matches pattern, where "*" matches any run of
// characters, empty included.
func glob(pattern, s string) bool {
	head, rest, wild := strings.Cut(pattern, "*")
	if !wild {
		return pattern == s
	}
	if !strings.HasPrefix(s, head) {
		return false
	}
	s = s[len(head):]
	for i := 0; i <= len(s); i++ {
		if glob(rest, s[i:]) {
			return true
		}
	}
	return false
}

// hostPattern is one compiled allowedHosts entry.
type hostPattern struct {
	host   string // lower case; without the "*." of a domain pattern
	domain bool   // "*.host": any subdomain of host
	port   string // "" for the default ports 80 and 443
}

func parseHostPattern(p string) (hostPattern, error) {
	bad := func() (hostPattern, error) {
		return hostPattern{}, fmt.Errorf("%q is not host, *.domain or host:port", p)
	}
	host, port := strings.ToLower(p), ""
	if h, pt, err := net.SplitHostPort(host); err == nil {
		n, perr := strconv.Atoi(pt)
		if perr != nil || n < 1 || n > 65535 {
			return bad()
		}
		host, port = h, pt
	} else if strings.Contains(host, ":") && net.ParseIP(host) == nil {
		return bad()
	}
	hp := hostPattern{host: host, port: port}
	if rest, ok := strings.CutPrefix(host, "*."); ok {
		hp.host, hp.domain = rest, true
	}
	if hp.host == "" || strings.ContainsAny(hp.host, "*/@?#[] ") {
		return bad()
	}
	return hp, nil
}

// allows reports whether the pattern admits host (lower case, no brackets)
// on port.
func (p hostPattern) allows(host, port string) bool {
	if p.port == "" {
		if port != "80" && port != "443" {
			return false
		}
	} else if p.port != port {
		return false
	}
	if p.domain {
		return strings.HasSuffix(host, "."+p.host)
	}
	return host == p.host
}

// access is a module version's compiled settings: what its host functions
// read on every call.
type access struct {
	config  []byte          // the configuration JSON, "null" for none
	actions []actionPattern // nil: every action
	hosts   []hostPattern
	client  *http.Client // http_request's, nil without allowedHosts
	done    chan struct{}
}

// newAccess compiles settings (already validated).
func newAccess(module string, s Settings) *access {
	a := &access{config: s.Config, done: make(chan struct{})}
	if len(a.config) == 0 {
		a.config = []byte("null")
	}
	if s.AllowedActions != nil {
		a.actions = make([]actionPattern, 0, len(s.AllowedActions))
		for _, p := range s.AllowedActions {
			ap, _ := parseActionPattern(p)
			a.actions = append(a.actions, ap)
		}
	}
	for _, p := range s.AllowedHosts {
		hp, _ := parseHostPattern(p)
		a.hosts = append(a.hosts, hp)
	}
	if len(a.hosts) > 0 {
		a.client = newHTTPClient(a, module)
	}
	return a
}

// allowsAction reports whether starling.call may run controller:action.
func (a *access) allowsAction(controller, action string) bool {
	if a.actions == nil {
		return true
	}
	for _, p := range a.actions {
		if glob(p.controller, controller) && glob(p.action, action) {
			return true
		}
	}
	return false
}

// allowsHost reports whether http_request may reach host:port.
func (a *access) allowsHost(host, port string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, p := range a.hosts {
		if p.allows(host, port) {
			return true
		}
	}
	return false
}

// close ends what the module version started: its ticks, its idle
// connections.
func (a *access) close() {
	if a == nil {
		return
	}
	close(a.done)
	if a.client != nil {
		a.client.CloseIdleConnections()
	}
}

// hostConfig is starling.config() -> len: the length of the module's
// configuration JSON ("null" when none), copied by call_result.
func hostConfig(ctx context.Context, _ wapi.Module, stack []uint64) {
	in := instanceOf(ctx)
	if in == nil {
		panic(fmt.Errorf("config: only possible while serving a call"))
	}
	in.pending = []byte("null")
	if a := in.m.access; a != nil {
		in.pending = a.config
	}
	stack[0] = uint64(len(in.pending))
}
