package wasmhost

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// Defaults of EventsConfig (Kuzzle's plugins.common, and Starling's
// hookQueue).
const (
	DefaultPipeTimeout        = 5 * time.Second
	DefaultPipeWarnTime       = 500 * time.Millisecond
	DefaultMaxConcurrentPipes = 50
	DefaultPipesBufferSize    = 50000
	DefaultHookQueue          = 1024
)

// hookWorkers is how many hooks run at once: enough that one looping hook
// does not hold up the others, few enough not to compete with requests.
const hookWorkers = 4

// EventsConfig bounds pipes and hooks; zero fields take the Default*
// values. It maps to the kuzzlerc plugins.common section.
type EventsConfig struct {
	// PipeTimeout fails a request whose pipe runs longer (or past its
	// module's call deadline, whichever comes first) with
	// plugin.runtime.pipe_timeout.
	PipeTimeout time.Duration
	// PipeWarnTime logs a pipe slower than this; negative: never.
	PipeWarnTime time.Duration
	// MaxConcurrentPipes is how many pipe chains run at once ...
	MaxConcurrentPipes int
	// ... and PipesBufferSize how many may wait; a request past both is
	// refused with plugin.runtime.too_many_pipes.
	PipesBufferSize int
	// HookQueue is how many hook events may wait; later ones are dropped
	// (counted and logged).
	HookQueue int
}

func (c EventsConfig) withDefaults() EventsConfig {
	if c.PipeTimeout <= 0 {
		c.PipeTimeout = DefaultPipeTimeout
	}
	if c.PipeWarnTime == 0 {
		c.PipeWarnTime = DefaultPipeWarnTime
	}
	if c.MaxConcurrentPipes <= 0 {
		c.MaxConcurrentPipes = DefaultMaxConcurrentPipes
	}
	if c.PipesBufferSize <= 0 {
		c.PipesBufferSize = DefaultPipesBufferSize
	}
	if c.HookQueue <= 0 {
		c.HookQueue = DefaultHookQueue
	}
	return c
}

// EventPlan holds the pipes and hooks listening to the events of one
// controller:action, from Host.Events. It is safe for concurrent use.
type EventPlan struct {
	host   *Host
	stages [api.NumStages]stagePlan
}

// stagePlan is one event and its listeners.
type stagePlan struct {
	event        string
	pipes, hooks []listener
}

// Pipe runs the pipes of a stage's event on a request, one module after
// the other in name order, each given what the previous returned. On
// StageExecution and StageBefore it returns the request to go on with
// (req itself when unchanged); on the other stages the result (result
// itself when unchanged). A non-nil error fails the request with it; on
// StageError and StageOnError, a nil error means a pipe turned the
// failure into that result.
func (p *EventPlan) Pipe(ctx context.Context, s api.Stage, req *api.Request, result any, failure *kerror.Error) (*api.Request, any, *kerror.Error) {
	sp := &p.stages[s]
	if len(sp.pipes) == 0 {
		return req, result, failure
	}
	h := p.host
	if err := h.pipeSlot(ctx); err != nil {
		return req, result, err
	}
	defer func() { <-h.pipeSlots }()
	for _, l := range sp.pipes {
		m := l.slot.cur.Load()
		if m == nil {
			continue
		}
		var err *kerror.Error
		req, result, failure, err = m.runPipe(ctx, sp.event, s, req, result, failure)
		if err != nil {
			return req, nil, err
		}
	}
	return req, result, failure
}

// pipeSlot waits for one of the MaxConcurrentPipes slots, unless
// PipesBufferSize chains wait already.
func (h *Host) pipeSlot(ctx context.Context) *kerror.Error {
	select {
	case h.pipeSlots <- struct{}{}:
		return nil
	default:
	}
	if h.pipeWaiting.Add(1) > int64(h.ecfg.PipesBufferSize) {
		h.pipeWaiting.Add(-1)
		return kerror.New("plugin.runtime.too_many_pipes")
	}
	defer h.pipeWaiting.Add(-1)
	select {
	case h.pipeSlots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return kerror.New("plugin.runtime.too_many_pipes")
	}
}

// runPipe runs one module's pipe and applies its answer.
func (m *Module) runPipe(ctx context.Context, event string, s api.Stage, req *api.Request, result any,
	failure *kerror.Error) (*api.Request, any, *kerror.Error, *kerror.Error) {
	input, err := eventInput(event, req, result, failure)
	if err != nil {
		return req, result, failure, m.pipeError(event, err)
	}
	timeout := min(m.host.ecfg.PipeTimeout, m.limits.CallTimeout)
	start := time.Now()
	// The deadline bounds the wait for an instance too.
	actx, cancel := context.WithTimeout(ctx, timeout)
	out, err := m.callEvent(actx, KindPipe, req, input, timeout)
	cancel()
	elapsed := time.Since(start)
	if warn := m.host.ecfg.PipeWarnTime; warn > 0 && elapsed > warn {
		m.log.Warn("slow pipe", "event", event, "elapsed", elapsed)
	}
	if err != nil {
		var f *fault
		if (errors.As(err, &f) && f.timeout > 0) || errors.Is(err, context.DeadlineExceeded) {
			return req, result, failure, kerror.New("plugin.runtime.pipe_timeout", m.name, event, strconv.FormatInt(timeout.Milliseconds(), 10))
		}
		return req, result, failure, m.pipeError(event, err)
	}
	return m.applyPipe(event, s, req, result, failure, out)
}

// pipeError is the plugin.runtime.unexpected_error of a failed pipe,
// naming its module and event.
func (m *Module) pipeError(event string, err error) *kerror.Error {
	return kerror.New("plugin.runtime.unexpected_error", fmt.Sprintf("module %q, pipe on %s: %v", m.name, event, err))
}

// applyPipe turns a pipe's answer into the request, result and failure to
// go on with, or the error that fails the request.
func (m *Module) applyPipe(event string, s api.Stage, req *api.Request, result any, failure *kerror.Error,
	out output) (*api.Request, any, *kerror.Error, *kerror.Error) {
	data := bytes.TrimSpace(out.data)
	if out.isError {
		if !jsonx.Valid(data) {
			return req, result, failure, m.pipeError(event, fmt.Errorf("invalid error object %q", clip(data)))
		}
		return req, result, failure, m.guestError(data)
	}
	if len(data) == 0 {
		return req, result, failure, nil
	}
	var answer map[string]jsonx.RawMessage
	if data[0] != '{' || jsonx.Unmarshal(data, &answer) != nil {
		return req, result, failure, m.pipeError(event, fmt.Errorf("the answer is not a JSON object: %q", clip(data)))
	}
	for key, raw := range answer {
		switch {
		case key == "request" && s.ChangesRequest():
			next, err := changedRequest(req, raw)
			if err != nil {
				return req, result, failure, m.pipeError(event, err)
			}
			req = next
		case key == "result" && !s.ChangesRequest():
			result, failure = jsonx.RawMessage(raw), nil
		default:
			return req, result, failure, m.pipeError(event, fmt.Errorf("unexpected key %q in the answer to %s", key, event))
		}
	}
	return req, result, failure, nil
}

// fixedArgs are the request keys a pipe cannot change through args.
var fixedArgs = []string{"controller", "action", "requestId", "jwt", "body", "volatile"}

// changedRequest builds the request a pipe's {"args", "body", "volatile"}
// makes of req.
func changedRequest(req *api.Request, raw jsonx.RawMessage) (*api.Request, error) {
	var change map[string]jsonx.RawMessage
	if err := jsonx.Unmarshal(raw, &change); err != nil || change == nil {
		return nil, fmt.Errorf("request is not an object: %q", clip(raw))
	}
	args, body, volatile := req.Args(), req.Body, req.Volatile
	for key, v := range change {
		switch key {
		case "args":
			var a map[string]jsonx.RawMessage
			if err := jsonx.Unmarshal(v, &a); err != nil || a == nil {
				return nil, fmt.Errorf("request.args is not an object: %q", clip(v))
			}
			for _, k := range fixedArgs {
				if _, ok := a[k]; ok {
					return nil, fmt.Errorf("request.args may not set %q", k)
				}
			}
			args = a
		case "body":
			body = v
		case "volatile":
			volatile = v
		default:
			return nil, fmt.Errorf("unexpected key %q in request (args, body, volatile)", key)
		}
	}
	payload := append([]byte(`{"controller":`), appendString(nil, req.Controller)...)
	payload = append(append(payload, `,"action":`...), appendString(nil, req.Action)...)
	payload = append(append(payload, `,"requestId":`...), appendString(nil, req.ID)...)
	if req.JWT != "" {
		payload = append(append(payload, `,"jwt":`...), appendString(nil, req.JWT)...)
	}
	if len(body) > 0 {
		payload = append(append(payload, `,"body":`...), body...)
	}
	if len(volatile) > 0 {
		payload = append(append(payload, `,"volatile":`...), volatile...)
	}
	for k, v := range args {
		if k == "requestId" {
			continue
		}
		payload = append(append(append(append(payload, ','), appendString(nil, k)...), ':'), v...)
	}
	next, kerr := api.Parse(append(payload, '}'), req.Connection)
	if kerr != nil {
		return nil, fmt.Errorf("the changed request is invalid: %s", kerr.Message)
	}
	return next, nil
}

// eventInput encodes what a pipe or hook receives (guests/README.md).
func eventInput(event string, req *api.Request, result any, failure *kerror.Error) ([]byte, error) {
	dst := appendString([]byte(`{"event":`), event)
	dst = appendRequest(append(dst, `,"request":`...), req.Controller, req)
	if failure != nil {
		dst = append(dst, `,"error":{"id":`...)
		dst = appendString(dst, failure.ID)
		dst = append(dst, `,"message":`...)
		dst = appendString(dst, failure.Message)
		dst = append(append(dst, `,"status":`...), strconv.Itoa(failure.Status)...)
		dst = append(dst, '}')
	} else if result != nil {
		enc, err := resultJSON(result)
		if err != nil {
			return nil, err
		}
		dst = append(append(dst, `,"result":`...), enc...)
	}
	return append(dst, '}'), nil
}

// resultJSON encodes an action's result as a response would.
func resultJSON(result any) ([]byte, error) {
	switch r := result.(type) {
	case jsonx.RawMessage:
		return r, nil
	case api.Compact:
		return []byte(r), nil
	}
	enc, err := jsonx.Marshal(result)
	if err != nil {
		return nil, fmt.Errorf("encode the result: %w", err)
	}
	return enc, nil
}

// callEvent runs the module's starling_pipe or starling_hook (kind) on
// input, for req, on this version or its successor, unless the module is
// quarantined. The call is recorded (metrics, Observer, quarantine) on the
// version that served it; a guest's error object counts as an error.
func (m *Module) callEvent(ctx context.Context, kind string, req *api.Request, input []byte, timeout time.Duration) (output, error) {
	if kerr := m.refusal(); kerr != nil {
		return output{}, kerr
	}
	start := time.Now()
	in, err := m.acquire(ctx)
	if errors.Is(err, errRetired) {
		if next := m.successor(); next != nil {
			return next.callEvent(ctx, kind, req, input, timeout)
		}
		return output{}, errors.New("module unloaded")
	}
	if err != nil {
		return output{}, err
	}
	fn := in.pipe
	if kind == KindHook {
		fn = in.hook
	}
	if fn == nil {
		m.release(in, true)
		return output{}, fmt.Errorf("the module has no %s export", kind)
	}
	in.req, in.reqCtx = req, ctx
	out, err := in.callPacked(fn, input, timeout, m.limits.MaxResultSize)
	in.req, in.reqCtx, in.pending = nil, nil, nil
	trapped := in.trapped
	m.release(in, !in.broken)
	failed := err
	if failed == nil && out.isError {
		failed = errGuestRefused
	}
	m.recordCall(kind, start, failed, trapped)
	return out, err
}

// errGuestRefused records a pipe or hook that answered an error object.
var errGuestRefused = errors.New("the guest answered an error")
