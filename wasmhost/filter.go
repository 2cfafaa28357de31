package wasmhost

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// Filter is one filter of a module, with its arguments: the building block
// of the "wasm" Koncorde keyword (guests/README.md). It follows reloads of
// its module and is safe for concurrent use.
type Filter struct {
	host   *Host
	slot   *slot
	module string
	name   string
	prefix []byte // {"filter":name,"args":args,"document":
}

// Filter returns the named filter of the named module, bound to args (a
// JSON object, or nil for none). The module must be loaded and name one of
// its manifest's filters.
func (h *Host) Filter(module, name string, args jsonx.RawMessage) (*Filter, error) {
	m := h.Module(module)
	if m == nil {
		return nil, fmt.Errorf("wasm filter %s/%s: module not loaded", module, name)
	}
	if !slices.Contains(m.manifest.Filters, name) {
		return nil, fmt.Errorf("wasm filter %s/%s: module has no such filter (it has %v)", module, name, m.manifest.Filters)
	}
	if len(args) == 0 {
		args = jsonx.RawMessage("{}")
	}
	if !jsonx.Valid(args) {
		return nil, fmt.Errorf("wasm filter %s/%s: arguments are not JSON", module, name)
	}
	prefix := appendString([]byte(`{"filter":`), name)
	prefix = append(append(append(prefix, `,"args":`...), args...), `,"document":`...)
	return &Filter{host: h, slot: h.slotOf(module), module: module, name: name, prefix: prefix}, nil
}

// Test reports whether the document (JSON) matches. A guest failure is a
// *kerror.Error, as for a controller call. The host's Observer is told of
// the call.
func (f *Filter) Test(ctx context.Context, doc []byte) (bool, error) {
	start := time.Now()
	ok, err := f.test(ctx, doc)
	f.host.observe(f.module, KindFilter, start, err)
	return ok, err
}

// test is Test, on the module's current version or its successors.
func (f *Filter) test(ctx context.Context, doc []byte) (bool, error) {
	m := f.slot.cur.Load()
	for m != nil {
		ok, err := m.test(ctx, f.prefix, doc)
		if !errors.Is(err, errRetired) {
			if err != nil {
				return false, m.kerror(err)
			}
			return ok, nil
		}
		m = m.successor()
	}
	return false, kerror.New("plugin.runtime.unexpected_error",
		fmt.Sprintf("wasm filter %s/%s: module not loaded", f.module, f.name))
}

// test runs one filter call on this version.
func (m *Module) test(ctx context.Context, prefix, doc []byte) (bool, error) {
	in, err := m.acquire(ctx)
	if err != nil {
		return false, err
	}
	in.buf = append(append(append(in.buf[:0], prefix...), doc...), '}')
	res, err := in.invoke(in.filter, in.buf, m.limits.CallTimeout)
	if cap(in.buf) > keepBuffer {
		in.buf = nil
	}
	m.release(in, !in.broken)
	if err != nil {
		return false, err
	}
	switch int32(res) {
	case 0:
		return false, nil
	case 1:
		return true, nil
	}
	return false, fmt.Errorf("%s returned %d, want 0 or 1", exportFilter, int32(res))
}
