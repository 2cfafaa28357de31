package wasmhost

import (
	"time"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/kerror"
)

// hookEvent is one event whose hooks wait to run.
type hookEvent struct {
	event   string
	hooks   []listener
	req     *api.Request
	result  any
	failure *kerror.Error
}

// dropLogInterval is how often dropped hook events are logged at most.
const dropLogInterval = 10 * time.Second

// Hook tells the hooks of a stage's event about a request, after it was
// answered: the event is queued (never blocking; past the queue bound it is
// dropped, counted and logged) and the hooks run on the host's hook
// workers. Their answers and failures are only logged.
func (p *EventPlan) Hook(s api.Stage, req *api.Request, result any, failure *kerror.Error) {
	sp := &p.stages[s]
	if len(sp.hooks) == 0 {
		return
	}
	p.host.queueHook(hookEvent{event: sp.event, hooks: sp.hooks, req: req, result: result, failure: failure})
}

// queueHook queues one hook event, or drops it when the queue is full.
func (h *Host) queueHook(ev hookEvent) {
	select {
	case h.hookQueue <- ev:
		return
	default:
	}
	dropped := h.hookDrops.Add(1)
	now := time.Now().UnixNano()
	last := h.lastDropLog.Load()
	if now-last >= int64(dropLogInterval) && h.lastDropLog.CompareAndSwap(last, now) {
		h.log.Warn("hook events dropped: the hook queue is full (plugins.common.hookQueue)",
			"event", ev.event, "droppedSoFar", dropped, "queue", cap(h.hookQueue))
	}
}

// HookDrops returns how many hook events were dropped since the host
// started because the hook queue was full.
func (h *Host) HookDrops() int64 { return h.hookDrops.Load() }

// runHooks runs queued hook events until the host closes.
func (h *Host) runHooks() {
	for {
		select {
		case <-h.stop:
			return
		case ev := <-h.hookQueue:
			h.runHook(ev)
		}
	}
}

// runHook calls every module listening to one event.
func (h *Host) runHook(ev hookEvent) {
	input, err := eventInput(ev.event, ev.req, ev.result, ev.failure)
	if err != nil {
		h.log.Warn("hook not run", "event", ev.event, "err", err)
		return
	}
	for _, l := range ev.hooks {
		m := l.slot.cur.Load()
		if m == nil || m.refusal() != nil { // unloaded, or quarantined
			continue
		}
		if err := m.callHook(h.hookCtx, ev.event, ev.req, input); err != nil {
			m.log.Warn("hook failed", "event", ev.event, "err", err)
		}
	}
}
