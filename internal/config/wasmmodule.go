package config

import (
	"encoding/hex"

	"github.com/starlingmq/starling/internal/jsonx"
)

// WasmModule holds the settings of one module that are no limit
// (plugins.wasm.modules.NAME.config, allowedActions, allowedHosts, sha256).
type WasmModule struct {
	// Config is the module's configuration as JSON, nil when absent.
	Config []byte
	// AllowedActions are the "controller:action" patterns the module's
	// starling.call may run; nil when unset (every action).
	AllowedActions []string
	// AllowedHosts are the hosts its http_request may reach ("host",
	// "*.domain", "host:port"); none when empty.
	AllowedHosts []string
	// SHA256 pins the module file's digest (64 hex digits), "" for none.
	SHA256 string
}

// wasmModule reads the settings of one module at prefix
// ("plugins.wasm.modules.NAME."). The patterns' syntax is checked by the
// Wasm host when it starts or reloads.
func (r *reader) wasmModule(prefix string) WasmModule {
	var m WasmModule
	if raw := r.value(prefix + "config"); raw != nil {
		b, err := jsonx.Marshal(raw)
		if err != nil {
			r.fail(prefix+"config", "any JSON value", raw)
		}
		m.Config = b
	}
	m.AllowedActions = r.stringList(prefix + "allowedActions")
	m.AllowedHosts = r.stringList(prefix + "allowedHosts")
	if raw := r.value(prefix + "sha256"); raw != nil {
		s, ok := raw.(string)
		if _, err := hex.DecodeString(s); !ok || len(s) != 64 || err != nil {
			r.fail(prefix+"sha256", "64 hexadecimal digits", raw)
		}
		m.SHA256 = s
	}
	return m
}

// stringList reads an optional array of non-empty strings: nil when absent,
// non-nil (maybe empty) when present.
func (r *reader) stringList(path string) []string {
	raw := r.value(path)
	if raw == nil {
		return nil
	}
	list, ok := raw.([]any)
	if !ok {
		r.fail(path, "an array of non-empty strings", raw)
		return nil
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		s, ok := v.(string)
		if !ok || s == "" {
			r.fail(path, "an array of non-empty strings", raw)
			return nil
		}
		out = append(out, s)
	}
	return out
}
