package wasmtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/wasmhost"
)

// Options configures Open.
type Options struct {
	// Mocks answer the guest's API calls; a call to an action without mock
	// fails with plugin.runtime.unexpected_error saying so.
	Mocks Mocks
	// Limits bound the module (zero fields: wasmhost's defaults, but a
	// pool of one instance).
	Limits wasmhost.Limits
	// CacheDir is the compilation cache ("" for wasmhost's default, "-"
	// for none).
	CacheDir string
	// Logger receives the host's and the guest's logs; none when nil.
	Logger *slog.Logger
	// Settings are the module's configuration (Config: what the config
	// host function returns and starling_init receives) and permissions
	// (AllowedActions bound the mocked calls too, AllowedHosts
	// http_request, SHA256 pins the file), as plugins.wasm.modules.NAME
	// gives them on a server.
	Settings wasmhost.Settings
	// State is the module's state when it loads (key -> value); the
	// runner keeps it in memory, with the server's limits and statuses.
	// Runner.State reads it back.
	State map[string][]byte
}

// Runner holds one loaded module. It is safe for concurrent use; Close it.
type Runner struct {
	host   *wasmhost.Host
	module *wasmhost.Module
	caller *mockCaller
	state  *memState
}

// Open loads the module file at path (its name is the file name without
// ".wasm") as a server would: its starling_init, if any, runs with
// Settings.Config, and its failure is Open's error.
func Open(ctx context.Context, path string, opts Options) (*Runner, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Limits.PoolSize == 0 {
		opts.Limits.PoolSize = 1
	}
	name := strings.TrimSuffix(filepath.Base(path), ".wasm")
	caller := &mockCaller{mocks: opts.Mocks}
	state := newMemState(name, opts.State)
	h, err := wasmhost.New(ctx, wasmhost.Options{
		Config: wasmhost.Config{CacheDir: opts.CacheDir, Limits: opts.Limits,
			Settings: map[string]wasmhost.Settings{name: opts.Settings}},
		Logger: log, Caller: caller, State: state,
	})
	if err != nil {
		return nil, err
	}
	m, err := h.Load(ctx, path)
	if err != nil {
		_ = h.Close(ctx)
		return nil, err
	}
	return &Runner{host: h, module: m, caller: caller, state: state}, nil
}

// State returns a copy of the module's state now (key -> value).
func (r *Runner) State() map[string][]byte { return r.state.snapshot(r.module.Name()) }

// Close unloads the module and closes the host.
func (r *Runner) Close(ctx context.Context) error { return r.host.Close(ctx) }

// Manifest returns what the module provides.
func (r *Runner) Manifest() wasmhost.Manifest { return r.module.Manifest() }

// Calls returns the API calls the guest made so far, in order.
func (r *Runner) Calls() []Call {
	r.caller.mu.Lock()
	defer r.caller.mu.Unlock()
	return append([]Call(nil), r.caller.calls...)
}

// Action runs a controller action. action is "ACTION", "CONTROLLER:ACTION"
// (the manifest's controller) or "MODULE/CONTROLLER:ACTION"; payload is
// the request JSON a client would send (body, arguments, volatile), its
// controller and action replaced; empty means {}. The request comes from
// connection "wasm-run" over protocol "mqtt".
func (r *Runner) Action(ctx context.Context, action string, payload []byte) (jsonx.RawMessage, *kerror.Error) {
	controller := r.module.ControllerName()
	if c, a, ok := strings.Cut(action, ":"); ok {
		if c != controller && r.module.Name()+"/"+c != controller {
			return nil, kerror.New("api.process.controller_not_found", c)
		}
		action = a
	}
	if controller == "" {
		return nil, kerror.New("plugin.runtime.unexpected_error",
			fmt.Sprintf("module %s has no controller", r.module.Name()))
	}
	req, kerr := request(payload, controller, action)
	if kerr != nil {
		return nil, kerr
	}
	known := false
	for _, a := range r.module.Manifest().Actions {
		known = known || a == action
	}
	if !known {
		return nil, kerror.New("api.process.action_not_found", controller, action)
	}
	return r.module.Handle(ctx, req)
}

// request builds the API request of an Action.
func request(payload []byte, controller, action string) (*api.Request, *kerror.Error) {
	fields := map[string]jsonx.RawMessage{}
	if len(strings.TrimSpace(string(payload))) > 0 {
		if err := jsonx.Unmarshal(payload, &fields); err != nil {
			return nil, kerror.New("api.assert.invalid_argument", "request", "a JSON object")
		}
	}
	fields["controller"], _ = jsonx.Marshal(controller)
	fields["action"], _ = jsonx.Marshal(action)
	raw, err := jsonx.Marshal(fields)
	if err != nil {
		return nil, kerror.New("plugin.runtime.unexpected_error", err.Error())
	}
	return api.Parse(raw, api.Connection{ID: "wasm-run", Protocol: "mqtt"})
}

// Filter tests a document (JSON) against the module's named filter with
// its arguments (nil for none).
func (r *Runner) Filter(ctx context.Context, name string, args jsonx.RawMessage, doc []byte) (bool, error) {
	f, err := r.host.Filter(r.module.Name(), name, args)
	if err != nil {
		return false, err
	}
	if !jsonx.Valid(doc) {
		return false, fmt.Errorf("the document is not JSON: %.80q", doc)
	}
	return f.Test(ctx, doc)
}
