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
// *kerror.Error, as for a controller call. While the module is quarantined
// nothing matches and the guest is not called. The call is recorded
// (metrics, Observer, quarantine) on the version that served it.
func (f *Filter) Test(ctx context.Context, doc []byte) (bool, error) {
	start := time.Now()
	for m := f.slot.cur.Load(); m != nil; m = m.successor() {
		if m.refusal() != nil {
			return false, nil
		}
		ok, trapped, err := m.test(ctx, f.prefix, doc)
		if errors.Is(err, errRetired) {
			continue
		}
		if err != nil {
			kerr := m.kerror(err)
			m.recordCall(KindFilter, start, kerr, trapped)
			return false, kerr
		}
		m.recordCall(KindFilter, start, nil, false)
		return ok, nil
	}
	err := kerror.New("plugin.runtime.unexpected_error",
		fmt.Sprintf("wasm filter %s/%s: module not loaded", f.module, f.name))
	f.host.observe(f.module, KindFilter, start, err)
	return false, err
}

// test runs one filter call on this version; trapped says the guest
// trapped or ran out of time.
func (m *Module) test(ctx context.Context, prefix, doc []byte) (ok, trapped bool, err error) {
	in, err := m.acquire(ctx)
	if err != nil {
		return false, false, err
	}
	in.buf = append(append(append(in.buf[:0], prefix...), doc...), '}')
	res, err := in.invoke(in.filter, in.buf, m.limits.CallTimeout)
	in.pending = nil
	if cap(in.buf) > keepBuffer {
		in.buf = nil
	}
	trapped = in.trapped
	m.release(in, !in.broken)
	if err != nil {
		return false, trapped, err
	}
	switch int32(res) {
	case 0:
		return false, false, nil
	case 1:
		return true, false, nil
	}
	return false, false, fmt.Errorf("%s returned %d, want 0 or 1", exportFilter, int32(res))
}
