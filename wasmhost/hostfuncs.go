package wasmhost

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"time"
	"unicode/utf16"

	"github.com/tetratelabs/wazero"
	wapi "github.com/tetratelabs/wazero/api"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// instantiateHostModules adds to rt the "starling" module of the ABI and the
// "env" module AssemblyScript guests import.
func (h *Host) instantiateHostModules(ctx context.Context, rt wazero.Runtime) error {
	b := rt.NewHostModuleBuilder("starling")
	fn := func(name string, f wapi.GoModuleFunc, params, results []wapi.ValueType, names ...string) {
		b.NewFunctionBuilder().WithGoModuleFunction(f, params, results).
			WithParameterNames(names...).Export(name)
	}
	fn("log", h.hostLog, []wapi.ValueType{i32, i32, i32}, nil, "level", "ptr", "len")
	fn("now", hostNow, nil, []wapi.ValueType{i64})
	fn("call", h.hostCall, []wapi.ValueType{i32, i32}, []wapi.ValueType{i32}, "ptr", "len")
	fn("call_result", hostCallResult, []wapi.ValueType{i32}, nil, "ptr")
	fn("config", hostConfig, nil, []wapi.ValueType{i32})
	fn("http_request", h.hostHTTPRequest, []wapi.ValueType{i32, i32}, []wapi.ValueType{i32}, "ptr", "len")
	h.instantiateStateFunctions(fn)
	if _, err := b.Instantiate(ctx); err != nil {
		return fmt.Errorf("instantiate host module starling: %w", err)
	}
	env := rt.NewHostModuleBuilder("env")
	env.NewFunctionBuilder().WithGoModuleFunction(wapi.GoModuleFunc(hostAbort),
		[]wapi.ValueType{i32, i32, i32, i32}, nil).
		WithParameterNames("message", "file", "line", "column").Export("abort")
	if _, err := env.Instantiate(ctx); err != nil {
		return fmt.Errorf("instantiate host module env: %w", err)
	}
	return nil
}

// guestBytes copies len bytes at ptr out of the guest's memory; a range
// outside memory traps the guest.
func guestBytes(mod wapi.Module, ptr, n uint32, what string) []byte {
	view, ok := mod.Memory().Read(ptr, n)
	if !ok {
		panic(fmt.Errorf("%s: [%#x, +%d) lies outside memory", what, ptr, n))
	}
	return append([]byte(nil), view...)
}

// logLevels maps the ABI's log levels 0–3.
var logLevels = [...]slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError}

// hostLog is starling.log(level, ptr, len): one log line from the guest.
func (h *Host) hostLog(ctx context.Context, mod wapi.Module, stack []uint64) {
	level := slog.LevelInfo
	if l := uint32(stack[0]); l < uint32(len(logLevels)) {
		level = logLevels[l]
	}
	msg := guestBytes(mod, uint32(stack[1]), uint32(stack[2]), "log")
	log := h.log
	if in := instanceOf(ctx); in != nil {
		log = in.m.log
		if in.req != nil {
			log = log.With("requestId", in.req.ID)
		}
	}
	log.Log(context.Background(), level, string(msg), "source", "guest")
}

// hostNow is starling.now(): the wall clock in milliseconds since the Unix
// epoch, like JavaScript's Date.now().
func hostNow(_ context.Context, _ wapi.Module, stack []uint64) {
	stack[0] = uint64(time.Now().UnixMilli())
}

// hostCall is starling.call(ptr, len) -> len: runs the API request JSON at
// ptr as the user and connection of the request being served, keeps the
// response JSON and returns its length for call_result.
func (h *Host) hostCall(ctx context.Context, mod wapi.Module, stack []uint64) {
	in := instanceOf(ctx)
	if in == nil {
		panic(fmt.Errorf("call: only possible while serving a request"))
	}
	n := uint32(stack[1])
	if int64(n) > int64(in.m.limits.MaxResultSize) {
		in.pending = errorResponse(kerror.New("plugin.runtime.unexpected_error",
			fmt.Sprintf("call payload of %d bytes exceeds %d bytes", n, in.m.limits.MaxResultSize)))
	} else {
		in.pending = h.callAPI(in, guestBytes(mod, uint32(stack[0]), n, "call"))
	}
	stack[0] = uint64(len(in.pending))
}

// callAPI runs one API request for a guest, within the guest's deadline:
// as the user and connection of the request being served, or, from
// starling_init and starling_tick, as the anonymous user on no connection.
// An action the module's allowedActions do not name is refused unrun.
func (h *Host) callAPI(in *instance, payload []byte) []byte {
	if h.caller == nil || (in.req == nil && !in.unattended) {
		return errorResponse(kerror.New("plugin.runtime.unexpected_error", "no API to call from here"))
	}
	var conn api.Connection
	jwt := ""
	if in.req != nil {
		conn, jwt = in.req.Connection, in.req.JWT
	}
	payload = withJWT(payload, jwt)
	if kerr := in.m.mayCall(payload, in.req == nil); kerr != nil {
		return errorResponse(kerr)
	}
	ctx, cancel := context.WithDeadline(in.reqCtx, in.callDeadline())
	defer cancel()
	resp, err := h.caller.Call(ctx, payload, conn)
	if err != nil {
		return errorResponse(kerror.New("plugin.runtime.unexpected_error", err.Error()))
	}
	return resp
}

// withJWT sets the jwt of an API request payload to the served request's
// (null for none), so that a guest calls as its caller and no one else: the
// key is appended last, and the last of duplicate keys wins.
func withJWT(payload []byte, jwt string) []byte {
	p := bytes.TrimRight(payload, " \t\r\n")
	if len(p) < 2 || p[len(p)-1] != '}' {
		return payload // not an object: the API will say so
	}
	out := append([]byte(nil), p[:len(p)-1]...)
	if len(bytes.TrimSpace(out)) > 1 {
		out = append(out, ',')
	}
	out = append(out, `"jwt":`...)
	if jwt == "" {
		return append(out, "null}"...)
	}
	out = appendString(out, jwt)
	return append(out, '}')
}

// errorResponse is the response JSON of a call that could not be made.
func errorResponse(e *kerror.Error) []byte {
	out, err := jsonx.Marshal(struct {
		Status int           `json:"status"`
		Error  *kerror.Error `json:"error"`
		Result any           `json:"result"`
	}{e.Status, e, nil})
	if err != nil {
		return []byte(`{"status":500,"error":{"message":"unencodable error"},"result":null}`)
	}
	return out
}

// hostCallResult is starling.call_result(ptr): copies the response of the
// last call to ptr, which must have room for the length call returned.
func hostCallResult(ctx context.Context, mod wapi.Module, stack []uint64) {
	in := instanceOf(ctx)
	if in == nil {
		panic(fmt.Errorf("call_result: only possible while serving a request"))
	}
	if !mod.Memory().Write(uint32(stack[0]), in.pending) {
		panic(fmt.Errorf("call_result: [%#x, +%d) lies outside memory", uint32(stack[0]), len(in.pending)))
	}
	in.pending = nil
}

// hostAbort is AssemblyScript's env.abort(message, file, line, column): it
// traps the guest with the message.
func hostAbort(_ context.Context, mod wapi.Module, stack []uint64) {
	msg := asString(mod, uint32(stack[0]))
	file := asString(mod, uint32(stack[1]))
	panic(fmt.Errorf("guest aborted: %s (%s:%d:%d)", msg, file, uint32(stack[2]), uint32(stack[3])))
}

// asString reads an AssemblyScript string: UTF-16 code units, their byte
// length in the 4 bytes before ptr.
func asString(mod wapi.Module, ptr uint32) string {
	if ptr < 4 {
		return ""
	}
	n, ok := mod.Memory().ReadUint32Le(ptr - 4)
	if !ok || n > 4096 {
		return "?"
	}
	raw, ok := mod.Memory().Read(ptr, n&^1)
	if !ok {
		return "?"
	}
	units := make([]uint16, len(raw)/2)
	for i := range units {
		units[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
	}
	return string(utf16.Decode(units))
}

// logWriter sends a guest's stdout or stderr to the log, one record per
// write.
type logWriter struct {
	log    *slog.Logger
	level  slog.Level
	stream string
}

func (w logWriter) Write(p []byte) (int, error) {
	if msg := bytes.TrimRight(p, "\n"); len(msg) > 0 {
		w.log.Log(context.Background(), w.level, string(msg), "source", w.stream)
	}
	return len(p), nil
}
