package wasmhost

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	wapi "github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/starlingmq/starling/internal/api"
)

// pageSize is WebAssembly's memory page, in bytes.
const pageSize = 65536

// errorFlag marks, in the length half of a packed result, a guest error
// object rather than a result.
const errorFlag = 1 << 31

// keepBuffer is the largest input buffer an instance keeps between calls.
const keepBuffer = 64 << 10

// minGuestBuffer is the smallest input buffer the host asks an ABI 2 guest
// for: most requests fit, so starling_alloc runs once per instance.
const minGuestBuffer = 4 << 10

// instance is one instantiated guest. It serves one call at a time: the
// pool hands it to one goroutine, which alone reads and writes its fields
// (but for start and limit, which the watchdog reads).
type instance struct {
	m                  *Module
	mod                wapi.Module
	mem                wapi.Memory
	abi                int32 // the guest's ABI version
	version, alloc     wapi.Function
	manifestFn, handle wapi.Function
	filter             wapi.Function
	initFn, tickFn     wapi.Function // ABI 3 lifecycle exports, nil when absent
	pipe, hook         wapi.Function // ABI 3: starling_pipe, starling_hook
	stack              [2]uint64
	buf                []byte // the input being encoded, host side
	cctx               callContext
	broken             bool
	trapped            bool   // the guest trapped or ran out of time
	memBytes           uint32 // linear memory counted in the module's stats

	// The guest's input buffer (ABI 2): returned by starling_alloc, reused
	// while inputs fit.
	gptr, gcap uint32

	// The call in progress, for the watchdog: its start (watchdog.now; 0
	// when idle, expiredMark once stopped) and its limit in nanoseconds.
	start, limit atomic.Int64

	// What the call being served is about, for the host functions.
	req     *api.Request
	reqCtx  context.Context
	pending []byte // the last "call" answer, until call_result takes it
	// unattended is true during starling_init and starling_tick: API calls
	// then run as the anonymous user, on no connection.
	unattended bool
}

// instanceKey is the context key host functions find their instance by.
type instanceKey struct{}

// callContext is the context of every call into one instance, made once so
// that a call allocates nothing. It has no Done channel: the watchdog, not
// wazero, stops overrunning calls.
type callContext struct {
	inst *instance
}

// Deadline returns the current call's deadline.
func (c *callContext) Deadline() (time.Time, bool) { return c.inst.callDeadline(), true }

// Done returns nil: the context is never cancelled.
func (c *callContext) Done() <-chan struct{} { return nil }

// Err returns nil: the context is never cancelled.
func (c *callContext) Err() error { return nil }

// Value returns the instance for instanceKey.
func (c *callContext) Value(key any) any {
	if key == (instanceKey{}) {
		return c.inst
	}
	return nil
}

// instanceOf returns the instance a host function runs for.
func instanceOf(ctx context.Context) *instance {
	in, _ := ctx.Value(instanceKey{}).(*instance)
	return in
}

// newInstance instantiates the module and looks its exports up. The start
// function (_initialize) runs under initTimeout, enforced by wazero (the
// watchdog only knows instantiated modules).
func (m *Module) newInstance(ctx context.Context) (*instance, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	in := &instance{m: m, abi: m.abi}
	in.cctx = callContext{inst: in}
	ictx, cancel := context.WithTimeout(context.WithValue(context.WithoutCancel(ctx), instanceKey{}, in), initTimeout)
	mod, err := m.rt.InstantiateModule(ictx, m.compiled, m.config)
	expired := errors.Is(ictx.Err(), context.DeadlineExceeded)
	cancel()
	if err != nil || expired {
		if mod != nil {
			_ = mod.Close(context.Background())
		}
		in.limit.Store(int64(initTimeout))
		return nil, fmt.Errorf("instantiate: %w", m.describe(in, err, expired))
	}
	in.mod, in.mem = mod, mod.Memory()
	if in.mem == nil {
		_ = mod.Close(context.Background())
		return nil, errors.New("instantiate: the guest exports no memory")
	}
	in.version = mod.ExportedFunction(exportVersion)
	in.alloc = mod.ExportedFunction(exportAlloc)
	in.manifestFn = mod.ExportedFunction(exportManifest)
	in.handle = mod.ExportedFunction(exportHandle)
	in.filter = mod.ExportedFunction(exportFilter)
	in.initFn, in.tickFn = mod.ExportedFunction(exportInit), mod.ExportedFunction(exportTick)
	in.pipe = mod.ExportedFunction(exportPipe)
	in.hook = mod.ExportedFunction(exportHook)
	m.host.dog.add(in)
	m.stats.instances.Add(1)
	in.countMemory()
	return in, nil
}

func (in *instance) close() {
	if in.mod != nil {
		in.m.host.dog.remove(in)
		in.m.stats.instances.Add(-1)
		in.m.stats.memory.Add(-int64(in.memBytes))
		in.memBytes = 0
		_ = in.mod.Close(context.Background())
	}
}

// countMemory brings the module's memory statistic up to date with the
// instance's linear memory; only the goroutine owning the instance may call
// it (memory grows during calls).
func (in *instance) countMemory() {
	size := in.mem.Size()
	in.m.stats.memory.Add(int64(size) - int64(in.memBytes))
	in.memBytes = size
}

// invoke copies input into guest memory and calls fn(ptr, len) under the
// timeout, returning fn's one result. fn == manifest and fn == version are
// called without arguments.
func (in *instance) invoke(fn wapi.Function, input []byte, timeout time.Duration) (uint64, error) {
	stack := in.stack[:]
	in.begin(timeout)
	var err error
	if fn != in.manifestFn && fn != in.version {
		var ptr uint32
		if ptr, err = in.place(input); err == nil {
			stack[0], stack[1] = uint64(ptr), uint64(len(input))
			err = fn.CallWithStack(&in.cctx, stack)
		}
	} else {
		err = fn.CallWithStack(&in.cctx, stack)
	}
	expired := in.end()
	if err != nil || expired {
		in.broken = true
		var f *fault
		if !expired && errors.As(err, &f) {
			return 0, f
		}
		in.trapped = true
		return 0, in.m.describe(in, err, expired)
	}
	return stack[0], nil
}

// place writes input into the guest's input buffer and returns its address.
// An ABI 1 guest gets a buffer of its own (starling_alloc) for every input;
// an ABI 2 guest keeps one, grown (starling_alloc again) when an input does
// not fit.
func (in *instance) place(input []byte) (uint32, error) {
	n := uint32(len(input))
	if in.abi < 2 || n > in.gcap {
		size := n
		if in.abi >= 2 {
			size = max(n, 2*in.gcap, minGuestBuffer)
		}
		in.stack[0] = uint64(size)
		if err := in.alloc.CallWithStack(&in.cctx, in.stack[:]); err != nil {
			return 0, err
		}
		ptr := uint32(in.stack[0])
		if uint64(ptr)+uint64(size) > uint64(in.mem.Size()) {
			return 0, &fault{msg: fmt.Sprintf("%s(%d) returned %#x, outside memory", exportAlloc, size, ptr)}
		}
		in.gptr, in.gcap = ptr, size
	}
	if !in.mem.Write(in.gptr, input) {
		return 0, &fault{msg: fmt.Sprintf("%s returned %#x, outside memory", exportAlloc, in.gptr)}
	}
	return in.gptr, nil
}

// output is what a guest returned through a packed pointer and length.
type output struct {
	data    []byte // a copy, safe after the instance moves on
	isError bool   // the guest returned an error object
}

// callPacked invokes fn and copies the result its packed return value
// points at, refusing more than max bytes.
func (in *instance) callPacked(fn wapi.Function, input []byte, timeout time.Duration, max int) (output, error) {
	packed, err := in.invoke(fn, input, timeout)
	if err != nil {
		return output{}, err
	}
	ptr, n, isError, err := unpack(packed, in.mem.Size(), max)
	if err != nil {
		in.broken = true
		return output{}, err
	}
	view, ok := in.mem.Read(ptr, n)
	if !ok {
		in.broken = true
		return output{}, &fault{msg: fmt.Sprintf("result [%#x, +%d) lies outside memory", ptr, n)}
	}
	return output{data: append([]byte(nil), view...), isError: isError}, nil
}

// unpack splits a packed result (pointer in the high half, length and
// error flag in the low half) and checks it against the guest's memory size
// and the result size limit.
func unpack(packed uint64, memSize uint32, max int) (ptr, n uint32, isError bool, err error) {
	ptr, n = uint32(packed>>32), uint32(packed)
	isError = n&errorFlag != 0
	n &^= errorFlag
	if int64(n) > int64(max) {
		return 0, 0, false, &fault{msg: fmt.Sprintf("result of %d bytes exceeds the limit of %d bytes", n, max)}
	}
	if uint64(ptr)+uint64(n) > uint64(memSize) {
		return 0, 0, false, &fault{msg: fmt.Sprintf("result [%#x, +%d) lies outside memory", ptr, n)}
	}
	return ptr, n, isError, nil
}

// fault is a guest's failure, as its caller will be told.
type fault struct {
	msg     string
	timeout time.Duration // non-zero when the guest ran out of time
}

func (f *fault) Error() string {
	if f.timeout > 0 {
		return fmt.Sprintf("the guest did not return within %v", f.timeout)
	}
	return f.msg
}

// describe turns a failed call into a fault, saying why in one line:
// timeout, exhausted memory, exit (Go's panic) or trap.
func (m *Module) describe(in *instance, err error, expired bool) error {
	if expired {
		return &fault{timeout: time.Duration(in.limit.Load())}
	}
	if err == nil {
		return &fault{msg: "unknown failure"}
	}
	m.log.Warn("wasm guest failed", "err", err)
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		msg = fmt.Sprintf("the guest exited with code %d", exit.ExitCode())
	}
	if in.mem != nil && nearLimit(in.mem.Size()/pageSize, m.limits.MemoryPages) {
		msg = fmt.Sprintf("out of memory: %d of the %d pages allowed (%d MiB) in use (%s)",
			in.mem.Size()/pageSize, m.limits.MemoryPages, m.limits.MemoryPages/16, msg)
	}
	return &fault{msg: msg}
}

// nearLimit reports whether a trapped guest's memory is close enough to its
// limit (within 1 MiB or a quarter) for the trap to be, most likely, a
// failed allocation: wazero does not report failed memory.grow.
func nearLimit(pages, limit uint32) bool {
	return pages+16 >= limit || uint64(pages)*4 >= uint64(limit)*3
}
