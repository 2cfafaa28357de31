package wasmhost

import (
	"context"
	"fmt"

	wapi "github.com/tetratelabs/wazero/api"
)

// State keeps each module's key/value space (the state_* host functions of
// guests/README.md, ABI version 3), durably: it must survive traps, reloads
// and restarts. Keys and values are any bytes; the host has already checked
// their sizes. Statuses are the ABI's: StateOK, StateAbsent, ...,
// StateFailure. Implementations must be safe for concurrent use and make
// Incr atomic per module and key. internal/wasmstate implements it on the
// document store.
type State interface {
	// Get returns the value at key, with StateOK, StateAbsent or
	// StateFailure.
	Get(ctx context.Context, module string, key []byte) ([]byte, int32)
	// Set stores value at key, keeping the module's keys and values
	// within quota bytes: StateOK, StateQuotaExceeded or StateFailure.
	Set(ctx context.Context, module string, key, value []byte, quota int64) int32
	// Delete removes key: 1 deleted, 0 absent, or StateFailure.
	Delete(ctx context.Context, module string, key []byte) int32
	// Incr adds delta to the decimal integer at key (absent: 0), stores and
	// returns the sum: StateOK, StateNotInteger, StateTooLarge,
	// StateQuotaExceeded or StateFailure.
	Incr(ctx context.Context, module string, key []byte, delta, quota int64) (int64, int32)
}

// The statuses of the state host functions (guests/README.md).
const (
	// StateOK is a done write.
	StateOK int32 = 0
	// StateAbsent is a key without value.
	StateAbsent int32 = -1
	// StateTooLarge is a key or value past its limit.
	StateTooLarge int32 = -2
	// StateQuotaExceeded is a write past the module's stateQuota.
	StateQuotaExceeded int32 = -3
	// StateNotInteger is state_incr on a value that is no decimal integer.
	StateNotInteger int32 = -4
	// StateFailure is a storage failure.
	StateFailure int32 = -5
)

// maxStateKey is the longest key, in bytes.
const maxStateKey = 256

// instantiateStateFunctions adds the state_* functions to the starling
// host module.
func (h *Host) instantiateStateFunctions(fn func(string, wapi.GoModuleFunc, []wapi.ValueType, []wapi.ValueType, ...string)) {
	fn("state_get", h.hostStateGet, []wapi.ValueType{i32, i32}, []wapi.ValueType{i32}, "kptr", "klen")
	fn("state_set", h.hostStateSet, []wapi.ValueType{i32, i32, i32, i32}, []wapi.ValueType{i32}, "kptr", "klen", "vptr", "vlen")
	fn("state_delete", h.hostStateDelete, []wapi.ValueType{i32, i32}, []wapi.ValueType{i32}, "kptr", "klen")
	fn("state_incr", h.hostStateIncr, []wapi.ValueType{i32, i32, i64, i32}, []wapi.ValueType{i32}, "kptr", "klen", "delta", "out")
}

// stateCall is what every state host function starts with: the instance,
// the key (nil when its size is out of bounds) and a context bound by the
// call's deadline.
func (h *Host) stateCall(ctx context.Context, mod wapi.Module, kptr, klen uint32, what string) (*instance, []byte, context.Context, context.CancelFunc) {
	in := instanceOf(ctx)
	if in == nil {
		panic(fmt.Errorf("%s: only possible while serving a call", what))
	}
	var key []byte
	if klen >= 1 && klen <= maxStateKey {
		key = guestBytes(mod, kptr, klen, what)
	}
	parent := in.reqCtx
	if parent == nil {
		parent = context.Background()
	}
	sctx, cancel := context.WithDeadline(parent, in.callDeadline())
	return in, key, sctx, cancel
}

// noState answers for a host without State: a storage failure, logged.
func (h *Host) noState(in *instance, what string) int32 {
	in.m.log.Error("wasm state: no state store on this server", "op", what)
	return StateFailure
}

// hostStateGet is starling.state_get(kptr, klen) -> len: the value's length
// (copied with call_result) or a negative status.
func (h *Host) hostStateGet(ctx context.Context, mod wapi.Module, stack []uint64) {
	in, key, sctx, cancel := h.stateCall(ctx, mod, uint32(stack[0]), uint32(stack[1]), "state_get")
	defer cancel()
	status := StateTooLarge
	switch {
	case key == nil:
	case h.state == nil:
		status = h.noState(in, "get")
	default:
		var value []byte
		value, status = h.state.Get(sctx, in.m.name, key)
		if status == StateOK {
			in.pending = value
			status = int32(len(value))
		}
	}
	stack[0] = wapi.EncodeI32(status)
}

// hostStateSet is starling.state_set(kptr, klen, vptr, vlen) -> status.
func (h *Host) hostStateSet(ctx context.Context, mod wapi.Module, stack []uint64) {
	in, key, sctx, cancel := h.stateCall(ctx, mod, uint32(stack[0]), uint32(stack[1]), "state_set")
	defer cancel()
	vlen := uint32(stack[3])
	status := StateTooLarge
	switch {
	case key == nil || int64(vlen) > int64(in.m.limits.StateValueSize):
	case h.state == nil:
		status = h.noState(in, "set")
	default:
		value := guestBytes(mod, uint32(stack[2]), vlen, "state_set")
		status = h.state.Set(sctx, in.m.name, key, value, in.m.limits.StateQuota)
	}
	stack[0] = wapi.EncodeI32(status)
}

// hostStateDelete is starling.state_delete(kptr, klen) -> 1, 0 or a status.
func (h *Host) hostStateDelete(ctx context.Context, mod wapi.Module, stack []uint64) {
	in, key, sctx, cancel := h.stateCall(ctx, mod, uint32(stack[0]), uint32(stack[1]), "state_delete")
	defer cancel()
	status := StateTooLarge
	switch {
	case key == nil:
	case h.state == nil:
		status = h.noState(in, "delete")
	default:
		status = h.state.Delete(sctx, in.m.name, key)
	}
	stack[0] = wapi.EncodeI32(status)
}

// hostStateIncr is starling.state_incr(kptr, klen, delta, out) -> status;
// the new value goes to out as a little-endian i64.
func (h *Host) hostStateIncr(ctx context.Context, mod wapi.Module, stack []uint64) {
	in, key, sctx, cancel := h.stateCall(ctx, mod, uint32(stack[0]), uint32(stack[1]), "state_incr")
	defer cancel()
	out := uint32(stack[3])
	if _, ok := mod.Memory().Read(out, 8); !ok {
		panic(fmt.Errorf("state_incr: out [%#x, +8) lies outside memory", out))
	}
	status := StateTooLarge
	switch {
	case key == nil:
	case h.state == nil:
		status = h.noState(in, "incr")
	default:
		var n int64
		n, status = h.state.Incr(sctx, in.m.name, key, int64(stack[2]), in.m.limits.StateQuota)
		if status == StateOK {
			mod.Memory().WriteUint64Le(out, uint64(n))
		}
	}
	stack[0] = wapi.EncodeI32(status)
}
