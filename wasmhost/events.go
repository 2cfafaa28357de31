package wasmhost

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/starlingmq/starling/internal/api"
)

// Actions tells which API actions exist, so that a manifest's event names
// can be checked. *node.Node satisfies it; the host adds the Wasm
// controllers it loaded itself.
type Actions interface {
	// HasController reports whether the API has the controller.
	HasController(controller string) bool
	// HasAction reports whether the controller has the action.
	HasAction(controller, action string) bool
}

// eventName is the name of a stage's event for controller:action, as
// Kuzzle's funnel builds it (memoryStorage's events are "ms:…").
func eventName(s api.Stage, controller, action string) string {
	if controller == "memoryStorage" {
		controller = "ms"
	}
	switch s {
	case api.StageExecution:
		return "request:onExecution"
	case api.StageSuccess:
		return "request:onSuccess"
	case api.StageOnError:
		return "request:onError"
	case api.StageBefore:
		return controller + ":before" + capitalize(action)
	case api.StageAfter:
		return controller + ":after" + capitalize(action)
	}
	return controller + ":error" + capitalize(action)
}

// capitalize upper-cases the first letter, as Kuzzle's capitalize does.
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || unicode.IsUpper(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// wildcards returns the names an event is also known by, as Kuzzle's
// getWildcardEvents does: the event itself, SCOPE:before* or SCOPE:after*
// when it starts so, then SCOPE:*.
func wildcards(event string) []string {
	i := strings.LastIndexByte(event, ':')
	if i < 0 {
		return []string{event}
	}
	scope, name := event[:i], event[i+1:]
	names := []string{event}
	for _, prefix := range []string{"before", "after"} {
		if strings.HasPrefix(name, prefix) {
			names = append(names, scope+":"+prefix+"*")
		}
	}
	return append(names, scope+":*")
}

// requestEvents are the events of the "request" scope a module may name.
var requestEvents = []string{"onExecution", "onSuccess", "onError", "*"}

// checkEvent reports why an event name is none a module may listen to
// (guests/README.md, ABI version 3); own is the controller of the module
// being loaded, with its actions.
func (h *Host) checkEvent(event string, own string, ownActions []string) error {
	i := strings.LastIndexByte(event, ':')
	if i <= 0 || i == len(event)-1 {
		return fmt.Errorf("event %q is not CONTROLLER:EVENT", event)
	}
	scope, name := event[:i], event[i+1:]
	if scope == "request" {
		if !slices.Contains(requestEvents, name) {
			return fmt.Errorf("event %q: request events are request:onExecution, request:onSuccess, request:onError and request:*", event)
		}
		return nil
	}
	controller := scope
	if controller == "ms" {
		controller = "memoryStorage"
	}
	if !h.hasController(controller, own) {
		return fmt.Errorf("event %q: no controller %q", event, scope)
	}
	if name == "*" || name == "before*" || name == "after*" {
		return nil
	}
	for _, prefix := range []string{"before", "after", "error"} {
		action, ok := strings.CutPrefix(name, prefix)
		if !ok || action == "" {
			continue
		}
		if h.hasAction(controller, lowerFirst(action), own, ownActions) || h.hasAction(controller, action, own, ownActions) {
			return nil
		}
		return fmt.Errorf("event %q: controller %q has no action %q", event, scope, lowerFirst(action))
	}
	return fmt.Errorf("event %q is none of %s:beforeACTION, afterACTION, errorACTION, *, before*, after*", event, scope)
}

// lowerFirst lower-cases the first letter: the action of an event name.
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || unicode.IsLower(r) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// hasController reports whether the API or a loaded Wasm module has the
// controller; without Actions (a host outside a server), any has.
func (h *Host) hasController(controller, own string) bool {
	if controller == own || h.actions == nil || h.actions.HasController(controller) {
		return true
	}
	return h.wasmController(controller) != nil
}

// hasAction reports whether the API or a loaded Wasm module has the action;
// without Actions, any has, but for the module's own controller's.
func (h *Host) hasAction(controller, action, own string, ownActions []string) bool {
	if controller == own {
		return slices.Contains(ownActions, action)
	}
	if h.actions == nil || h.actions.HasAction(controller, action) {
		return true
	}
	m := h.wasmController(controller)
	return m != nil && slices.Contains(m.manifest.Actions, action)
}

// wasmController returns the loaded module whose controller is named so.
func (h *Host) wasmController(controller string) *Module {
	name, _, ok := strings.Cut(controller, "/")
	if !ok {
		return nil
	}
	if m := h.Module(name); m != nil && m.ControllerName() == controller {
		return m
	}
	return nil
}

// checkEvents checks every event name of a manifest; the error names each
// bad one.
func (h *Host) checkEvents(name string, man Manifest) error {
	own := ""
	if man.Controller != "" {
		own = name + "/" + man.Controller
	}
	var bad []string
	for _, list := range [][]string{man.Pipes, man.Hooks} {
		for _, ev := range list {
			if err := h.checkEvent(ev, own, man.Actions); err != nil {
				bad = append(bad, err.Error())
			}
		}
	}
	if len(bad) > 0 {
		return &unknownEvents{msg: strings.Join(bad, "; ")}
	}
	return nil
}

// unknownEvents is a manifest naming events the API does not have (yet: a
// Wasm controller loaded later may bring them).
type unknownEvents struct{ msg string }

func (e *unknownEvents) Error() string { return "unknown events: " + e.msg }

// listener is one module listening to an event.
type listener struct {
	module string
	slot   *slot
}

// eventTable maps event names (wildcards included) to the modules whose
// pipes or hooks listen to them, in module name order. It is immutable but
// for its cache of plans; the host swaps in a new one whenever a module
// is loaded or unloaded.
type eventTable struct {
	pipes, hooks map[string][]listener

	mu    sync.RWMutex
	plans map[actionKey]*EventPlan
}

// actionKey is a controller:action, as a map key that costs no allocation
// to look up.
type actionKey struct{ controller, action string }

// buildEvents makes the event table of the modules loaded now; nil when
// no module has pipes or hooks.
func (h *Host) buildEvents() *eventTable {
	h.mu.Lock()
	names := make([]string, 0, len(h.slots))
	for name := range h.slots {
		names = append(names, name)
	}
	slots := make(map[string]*slot, len(h.slots))
	for name, s := range h.slots {
		slots[name] = s
	}
	h.mu.Unlock()
	sort.Strings(names)
	t := &eventTable{pipes: map[string][]listener{}, hooks: map[string][]listener{}, plans: map[actionKey]*EventPlan{}}
	for _, name := range names {
		m := slots[name].cur.Load()
		if m == nil {
			continue
		}
		for _, ev := range dedupe(m.manifest.Pipes) {
			t.pipes[ev] = append(t.pipes[ev], listener{name, slots[name]})
		}
		for _, ev := range dedupe(m.manifest.Hooks) {
			t.hooks[ev] = append(t.hooks[ev], listener{name, slots[name]})
		}
	}
	if len(t.pipes) == 0 && len(t.hooks) == 0 {
		return nil
	}
	return t
}

func dedupe(list []string) []string {
	out := slices.Clone(list)
	slices.Sort(out)
	return slices.Compact(out)
}

// updateEvents swaps in the event table of the modules loaded now.
func (h *Host) updateEvents() {
	h.eventsMu.Lock()
	defer h.eventsMu.Unlock()
	h.events.Store(h.buildEvents())
}

// Events returns the pipes and hooks listening to the events of
// controller:action's requests, nil when there are none: then the request
// need not be told to the host at all. It allocates nothing once the
// action's plan is made (on its first request after each module change).
func (h *Host) Events(controller, action string) *EventPlan {
	t := h.events.Load()
	if t == nil {
		return nil
	}
	key := actionKey{controller, action}
	t.mu.RLock()
	p, ok := t.plans[key]
	t.mu.RUnlock()
	if ok {
		return p
	}
	p = t.plan(h, controller, action)
	t.mu.Lock()
	t.plans[key] = p
	t.mu.Unlock()
	return p
}

// plan gathers the listeners of each stage of controller:action; nil when
// none listens to any.
func (t *eventTable) plan(h *Host, controller, action string) *EventPlan {
	p := &EventPlan{host: h}
	any := false
	for s := api.StageExecution; s < api.NumStages; s++ {
		ev := eventName(s, controller, action)
		sp := &p.stages[s]
		sp.event = ev
		sp.pipes = gather(t.pipes, ev)
		sp.hooks = gather(t.hooks, ev)
		any = any || len(sp.pipes) > 0 || len(sp.hooks) > 0
	}
	if !any {
		return nil
	}
	return p
}

// gather lists, in module name order and once each, the modules listening
// to an event under any of its names.
func gather(table map[string][]listener, event string) []listener {
	var out []listener
	for _, name := range wildcards(event) {
		for _, l := range table[name] {
			if !slices.ContainsFunc(out, func(o listener) bool { return o.module == l.module }) {
				out = append(out, l)
			}
		}
	}
	slices.SortFunc(out, func(a, b listener) int { return strings.Compare(a.module, b.module) })
	return out
}

// checkEventManifest checks a manifest's pipes and hooks: ABI 3 only, the
// exports they need, and known event names.
func (m *Module) checkEventManifest(in *instance) error {
	man := &m.manifest
	if len(man.Pipes) == 0 && len(man.Hooks) == 0 {
		return nil
	}
	if m.abi < 3 {
		m.log.Warn("pipes and hooks ignored: they need ABI version 3", "abi", m.abi)
		man.Pipes, man.Hooks = nil, nil
		return nil
	}
	if len(man.Pipes) > 0 && in.pipe == nil {
		return fmt.Errorf("manifest names pipes: it needs the %s export", exportPipe)
	}
	if len(man.Hooks) > 0 && in.hook == nil {
		return fmt.Errorf("manifest names hooks: it needs the %s export", exportHook)
	}
	return m.host.checkEvents(m.name, *man)
}

// errWaiting says a module names events of controllers not loaded yet.
var errWaiting = errors.New("unknown events")

// retry loads again, while any succeeds, the modules of one scan that named
// events of Wasm controllers loaded after them (in name order).
func (w *watcher) retry(ctx context.Context, waiting []string) {
	for progress := true; progress && len(waiting) > 0; {
		progress = false
		left := waiting[:0]
		for _, name := range waiting {
			if w.load(ctx, name) == errWaiting {
				left = append(left, name)
			} else {
				progress = true
			}
		}
		waiting = left
	}
	for _, name := range waiting {
		w.h.log.Error("wasm module not loaded", "module", name, "err", w.waiting[name])
	}
}
