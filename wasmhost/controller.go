package wasmhost

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// Controller returns the module's API controller, named ControllerName(),
// every action of the manifest served by Handle; ok is false when the
// module has no action. Its actions keep this version: a request routed to
// it before a reload runs on it (or, if it was retired meanwhile, on its
// successor).
func (m *Module) Controller() (c api.Controller, ok bool) {
	if len(m.manifest.Actions) == 0 {
		return api.Controller{}, false
	}
	actions := make(map[string]api.Action, len(m.manifest.Actions))
	for _, a := range m.manifest.Actions {
		actions[a] = m.action
	}
	return api.Controller{Name: m.ControllerName(), Actions: actions}, true
}

// action adapts Handle to api.Action; a nil *kerror.Error must not become a
// non-nil error.
func (m *Module) action(ctx context.Context, req *api.Request) (any, error) {
	res, kerr := m.Handle(ctx, req)
	if kerr != nil {
		return nil, kerr
	}
	return res, nil
}

// Handle runs req through the guest's starling_handle and returns the
// result JSON, or the Kuzzle error to answer: the guest's own, or
// core.sandbox.timeout, or plugin.runtime.unexpected_error saying what went
// wrong (trap, exit, memory, invalid or oversized result).
// While the module is quarantined, the guest is not called and the error is
// plugin.runtime.unexpected_error saying until when.
// The call is recorded (metrics, Observer, quarantine) on the version that
// served it.
func (m *Module) Handle(ctx context.Context, req *api.Request) (jsonx.RawMessage, *kerror.Error) {
	start := time.Now()
	res, kerr, served, trapped := m.handle(ctx, req)
	if served != nil {
		if kerr != nil {
			served.recordCall(KindController, start, kerr, trapped)
		} else {
			served.recordCall(KindController, start, nil, false)
		}
	}
	return res, kerr
}

// handle is Handle, on this version or its successor; it returns the
// version that served the call (nil when quarantined) and whether the guest
// trapped.
func (m *Module) handle(ctx context.Context, req *api.Request) (jsonx.RawMessage, *kerror.Error, *Module, bool) {
	if kerr := m.refusal(); kerr != nil {
		return nil, kerr, nil, false
	}
	in, err := m.acquire(ctx)
	if errors.Is(err, errRetired) {
		if next := m.successor(); next != nil {
			return next.handle(ctx, req)
		}
		return nil, kerror.New("api.process.controller_not_found", m.ControllerName()), m, false
	}
	if err != nil {
		return nil, m.kerror(err), m, false
	}
	if in.handle == nil {
		m.release(in, true)
		return nil, kerror.New("api.process.action_not_found", m.ControllerName(), req.Action), m, false
	}
	in.req, in.reqCtx = req, ctx
	in.buf = appendRequest(in.buf[:0], m.ControllerName(), req)
	out, err := in.callPacked(in.handle, in.buf, m.limits.CallTimeout, m.limits.MaxResultSize)
	in.req, in.reqCtx, in.pending = nil, nil, nil
	if cap(in.buf) > keepBuffer {
		in.buf = nil
	}
	trapped := in.trapped
	m.release(in, !in.broken)
	if err != nil {
		return nil, m.kerror(err), m, trapped
	}
	res, kerr := m.answer(out)
	return res, kerr, m, false
}

// answer turns what a guest's handler returned into the result or the
// Kuzzle error its caller gets; it never fails to choose one.
func (m *Module) answer(out output) (jsonx.RawMessage, *kerror.Error) {
	if !jsonx.Valid(out.data) {
		return nil, m.kerror(fmt.Errorf("the guest returned invalid JSON: %q", clip(out.data)))
	}
	if out.isError {
		return nil, m.guestError(out.data)
	}
	return out.data, nil
}

// kerror turns a call failure into the Kuzzle error its caller gets.
func (m *Module) kerror(err error) *kerror.Error {
	var f *fault
	if errors.As(err, &f) && f.timeout > 0 {
		return kerror.New("core.sandbox.timeout", strconv.FormatInt(f.timeout.Milliseconds(), 10))
	}
	return kerror.New("plugin.runtime.unexpected_error", fmt.Sprintf("module %q: %v", m.name, err))
}

// guestError builds the Kuzzle error a guest returned: {"id", "message",
// "props"}. A catalogued id is kept (with the guest's message, if any);
// anything else becomes plugin.runtime.unexpected_error with the message.
func (m *Module) guestError(data []byte) *kerror.Error {
	var e struct {
		ID      string `json:"id"`
		Message string `json:"message"`
		Props   []any  `json:"props"`
	}
	if err := jsonx.Unmarshal(data, &e); err != nil {
		return m.kerror(fmt.Errorf("the guest returned an invalid error object: %q", clip(data)))
	}
	if e.ID != "" && kerror.Known(e.ID) {
		if e.Message != "" {
			return kerror.WithMessage(e.Message, e.ID, e.Props...)
		}
		return kerror.New(e.ID, e.Props...)
	}
	if e.Message == "" {
		e.Message = string(data)
	}
	return kerror.New("plugin.runtime.unexpected_error", e.Message)
}

// appendRequest encodes what a guest's handler receives (guests/README.md).
func appendRequest(dst []byte, controller string, req *api.Request) []byte {
	dst = append(dst, `{"controller":`...)
	dst = appendString(dst, controller)
	dst = append(dst, `,"action":`...)
	dst = appendString(dst, req.Action)
	dst = append(dst, `,"requestId":`...)
	dst = appendString(dst, req.ID)
	dst = append(dst, `,"args":{`...)
	first := true
	for k, v := range req.Args() {
		if k == "requestId" {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendString(dst, k)
		dst = append(dst, ':')
		dst = append(dst, v...)
	}
	dst = append(dst, '}')
	if len(req.Body) > 0 {
		dst = append(dst, `,"body":`...)
		dst = append(dst, req.Body...)
	}
	if len(req.Volatile) > 0 {
		dst = append(dst, `,"volatile":`...)
		dst = append(dst, req.Volatile...)
	}
	dst = append(dst, `,"connection":{"id":`...)
	dst = appendString(dst, req.Connection.ID)
	dst = append(dst, `,"protocol":`...)
	dst = appendString(dst, req.Connection.Protocol)
	return append(dst, "}}"...)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		case c < utf8.RuneSelf:
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, "\ufffd"...)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
		}
	}
	return append(dst, '"')
}

// clip shortens guest output quoted in an error message.
func clip(b []byte) string {
	const max = 120
	if len(b) <= max {
		return string(b)
	}
	return string(b[:max]) + "…"
}
