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

// instance is one instantiated guest. It serves one call at a time: the
// pool hands it to one goroutine, which alone reads and writes its fields.
type instance struct {
	m                  *Module
	mod                wapi.Module
	mem                wapi.Memory
	version, alloc     wapi.Function
	manifestFn, handle wapi.Function
	filter             wapi.Function
	stack              [2]uint64
	buf                []byte
	cctx               callContext
	timer              *time.Timer
	broken             bool

	// What the call being served is about, for the host functions.
	req     *api.Request
	reqCtx  context.Context
	pending []byte // the last "call" answer, until call_result takes it
}

// instanceKey is the context key host functions find their instance by.
type instanceKey struct{}

// callContext is the context of every call into one instance. It is made
// once per instance, so that a call allocates nothing: its Done channel is
// closed by the instance's timer when a call overruns its deadline, which
// makes wazero stop the guest (WithCloseOnContextDone). An instance whose
// timer fired is never used again, so the channel never needs reopening.
type callContext struct {
	inst     *instance
	deadline time.Time
	timeout  time.Duration // of the current call
	done     chan struct{}
	expired  atomic.Bool
}

// Deadline returns the current call's deadline.
func (c *callContext) Deadline() (time.Time, bool) { return c.deadline, true }

// Done is closed when a call overran its deadline.
func (c *callContext) Done() <-chan struct{} { return c.done }

// Err reports context.DeadlineExceeded once the deadline fired.
func (c *callContext) Err() error {
	if c.expired.Load() {
		return context.DeadlineExceeded
	}
	return nil
}

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
// function (_initialize) runs under initTimeout.
func (m *Module) newInstance(ctx context.Context) (*instance, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	in := &instance{m: m}
	in.cctx = callContext{inst: in, done: make(chan struct{})}
	in.timer = time.AfterFunc(time.Hour, in.expire)
	in.timer.Stop()
	in.arm(initTimeout)
	mod, err := m.rt.InstantiateModule(&in.cctx, m.compiled, m.config)
	expired := !in.disarm()
	if err != nil || expired {
		if mod != nil {
			_ = mod.Close(context.Background())
		}
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
	return in, nil
}

// expire runs on the timer's goroutine when a call overruns.
func (in *instance) expire() {
	in.cctx.expired.Store(true)
	close(in.cctx.done)
}

// arm starts the deadline of a call.
func (in *instance) arm(d time.Duration) {
	in.cctx.deadline = time.Now().Add(d)
	in.cctx.timeout = d
	in.timer.Reset(d)
}

// disarm stops the deadline; false means it fired (or is firing), and the
// instance must not be used again.
func (in *instance) disarm() bool {
	if in.timer.Stop() {
		return true
	}
	in.broken = true
	return false
}

func (in *instance) close() {
	in.timer.Stop()
	if in.mod != nil {
		_ = in.mod.Close(context.Background())
	}
}

// invoke copies input into guest memory (through starling_alloc) and calls
// fn(ptr, len) under the timeout, returning fn's one result. fn == manifest
// is called without arguments.
func (in *instance) invoke(fn wapi.Function, input []byte, timeout time.Duration) (uint64, error) {
	stack := in.stack[:]
	in.arm(timeout)
	var err error
	if fn != in.manifestFn {
		stack[0] = uint64(len(input))
		if err = in.alloc.CallWithStack(&in.cctx, stack); err == nil {
			ptr := uint32(stack[0])
			if !in.mem.Write(ptr, input) {
				in.timer.Stop()
				in.broken = true
				return 0, &fault{msg: fmt.Sprintf("%s(%d) returned %#x, outside memory", exportAlloc, len(input), ptr)}
			}
			stack[0], stack[1] = uint64(ptr), uint64(len(input))
			err = fn.CallWithStack(&in.cctx, stack)
		}
	} else {
		err = fn.CallWithStack(&in.cctx, stack)
	}
	expired := !in.disarm()
	if err != nil || expired {
		in.broken = true
		return 0, in.m.describe(in, err, expired)
	}
	return stack[0], nil
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
	ptr, n := uint32(packed>>32), uint32(packed)
	isError := n&errorFlag != 0
	n &^= errorFlag
	if int64(n) > int64(max) {
		return output{}, &fault{msg: fmt.Sprintf("result of %d bytes exceeds the limit of %d bytes", n, max)}
	}
	view, ok := in.mem.Read(ptr, n)
	if !ok {
		in.broken = true
		return output{}, &fault{msg: fmt.Sprintf("result [%#x, +%d) lies outside memory", ptr, n)}
	}
	return output{data: append([]byte(nil), view...), isError: isError}, nil
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
	if expired || in.cctx.expired.Load() {
		return &fault{timeout: in.cctx.timeout}
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
