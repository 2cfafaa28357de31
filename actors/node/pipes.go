package node

import (
	"sync/atomic"

	"github.com/starlingmq/starling/actors/dispatcher"
	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/wasmhost"
)

// pipeline is the dispatcher's view of the Wasm modules' pipes and hooks.
// The dispatcher starts before the Wasm host, hence the pointer set later;
// with no host, or no module listening, a request pays one atomic load.
//
// Logins at MQTT CONNECT (credentials in the CONNECT packet) do not go
// through the dispatcher: they fire auth:afterLogin hooks only (loginHooks),
// no pipe and no other event. auth:login requests fire every event.
type pipeline struct {
	host atomic.Pointer[wasmhost.Host]
}

// Events returns the pipes and hooks of controller:action's events.
func (p *pipeline) Events(controller, action string) dispatcher.Events {
	h := p.host.Load()
	if h == nil {
		return nil
	}
	plan := h.Events(controller, action)
	if plan == nil {
		return nil
	}
	return plan // *wasmhost.EventPlan is a dispatcher.Events
}

// apiActions lists the built-in controllers' actions, for the event names
// of Wasm pipes and hooks (the host knows the Wasm controllers itself).
type apiActions map[string]map[string]bool

func newAPIActions(controllers []api.Controller) apiActions {
	a := make(apiActions, len(controllers))
	for _, c := range controllers {
		actions := make(map[string]bool, len(c.Actions))
		for name := range c.Actions {
			actions[name] = true
		}
		a[c.Name] = actions
	}
	return a
}

// HasController reports whether the API has the controller.
func (a apiActions) HasController(controller string) bool { return a[controller] != nil }

// HasAction reports whether the controller has the action.
func (a apiActions) HasAction(controller, action string) bool { return a[controller][action] }

// eventsConfig maps plugins.common onto the host's bounds of pipes and
// hooks; a pipeWarnTime of 0 turns the warning off, as in Kuzzle.
func eventsConfig(c config.PluginsCommon) wasmhost.EventsConfig {
	warn := c.PipeWarnTime
	if warn == 0 {
		warn = -1
	}
	return wasmhost.EventsConfig{
		PipeTimeout:        c.PipeTimeout,
		PipeWarnTime:       warn,
		MaxConcurrentPipes: c.MaxConcurrentPipes,
		PipesBufferSize:    c.PipesBufferSize,
		HookQueue:          c.HookQueue,
	}
}

// loginHooks tells the auth:afterLogin hooks of a login made at MQTT
// CONNECT, which runs no request: they get an auth:login request (strategy
// "local") and its result {"_id": kuid}; their API calls run as the user
// who logged in. No pipe runs: a CONNECT is accepted or refused before any
// request exists.
func (p *pipeline) loginHooks(kuid, jwt string) {
	ev := p.Events("auth", "login")
	if ev == nil {
		return
	}
	payload := append([]byte(`{"controller":"auth","action":"login","strategy":"local","jwt":`), jsonx.AppendString(nil, jwt)...)
	req, kerr := api.Parse(append(payload, '}'), api.Connection{Protocol: "mqtt"})
	if kerr != nil {
		return
	}
	ev.Hook(api.StageAfter, req, map[string]string{"_id": kuid}, nil)
}
