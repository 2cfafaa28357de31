package wasmhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	wapi "github.com/tetratelabs/wazero/api"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// The lifecycle exports of ABI 3.
const (
	exportInit = "starling_init"
	exportTick = "starling_tick"
)

// The kinds of lifecycle call an Observer is told of.
const (
	// KindInit is a module version's starling_init.
	KindInit = "init"
	// KindTick is one starling_tick.
	KindTick = "tick"
)

// minTick is the shortest tick period a manifest may ask for.
const minTick = 100

// checkDigest refuses code whose SHA-256 is not the pinned one ("" pins
// nothing).
func checkDigest(name string, code []byte, pinned string) error {
	if pinned == "" {
		return nil
	}
	sum := sha256.Sum256(code)
	got := hex.EncodeToString(sum[:])
	if !strings.EqualFold(got, pinned) {
		return fmt.Errorf("the file's sha256 is %s, plugins.wasm.modules.%s.sha256 pins %s", got, name, strings.ToLower(pinned))
	}
	return nil
}

// prepare readies a module version before it is published: it checks the
// manifest's tick and runs starling_init, whose error keeps the version
// from loading. ABI 1 and 2 guests have no lifecycle.
func (m *Module) prepare(ctx context.Context) error {
	if m.abi < 3 {
		return nil
	}
	exports := m.compiled.ExportedFunctions()
	if t := m.manifest.Tick; t != 0 {
		if t < minTick {
			return fmt.Errorf("manifest tick %d: at least %d (milliseconds), or 0 for none", t, minTick)
		}
		if _, ok := exports[exportTick]; !ok {
			return fmt.Errorf("manifest sets tick: it needs the %s export", exportTick)
		}
	}
	if _, ok := exports[exportInit]; !ok {
		return nil
	}
	input := append(append([]byte(`{"config":`), m.access.config...), '}')
	err := m.unattendedCall(ctx, KindInit, func(in *instance) wapi.Function { return in.initFn }, input)
	if err != nil {
		return fmt.Errorf("%s: %w", exportInit, err)
	}
	return nil
}

// unattendedCall runs a lifecycle export (kind) on an instance of the
// pool, under the call deadline; its API calls run as the anonymous user.
// It returns the guest's failure or error object as an error. A call that
// ran is recorded (metrics, Observer, quarantine).
func (m *Module) unattendedCall(ctx context.Context, kind string, export func(*instance) wapi.Function, input []byte) error {
	start := time.Now()
	in, err := m.acquire(ctx)
	if err != nil {
		return err
	}
	in.unattended, in.reqCtx = true, context.WithoutCancel(ctx)
	out, err := in.callPacked(export(in), input, m.limits.CallTimeout, m.limits.MaxResultSize)
	in.unattended, in.reqCtx, in.pending = false, nil, nil
	if cap(in.buf) > keepBuffer {
		in.buf = nil
	}
	trapped := in.trapped
	m.release(in, !in.broken)
	if err == nil && out.isError {
		err = guestFailure(out.data)
	}
	m.recordCall(kind, start, err, trapped)
	return err
}

// guestFailure is the error object a lifecycle export returned, as an
// error: "id: message", or the object itself when it has no message.
func guestFailure(data []byte) error {
	var e struct {
		ID      string `json:"id"`
		Message string `json:"message"`
	}
	if err := jsonx.Unmarshal(data, &e); err != nil || e.Message == "" {
		return fmt.Errorf("the guest returned the error %q", clip(data))
	}
	if e.ID != "" {
		return fmt.Errorf("%s: %s", e.ID, e.Message)
	}
	return errors.New(e.Message)
}

// startTicking starts calling starling_tick every manifest.Tick
// milliseconds, until the version retires or the host closes.
func (m *Module) startTicking() {
	if m.abi < 3 || m.manifest.Tick <= 0 || m.access == nil {
		return
	}
	h := m.host
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.watchers.Add(1)
	go func() {
		defer h.watchers.Done()
		m.tickLoop(time.Duration(m.manifest.Tick) * time.Millisecond)
	}()
}

// tickLoop calls starling_tick on every tick, one call at a time: a tick
// that comes while the previous call runs is skipped.
func (m *Module) tickLoop(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-m.access.done:
			return
		case <-m.host.stop:
			return
		case now := <-t.C:
			m.tick(now)
		}
	}
}

// tick runs one starling_tick call; failures are logged.
func (m *Module) tick(now time.Time) {
	// Waiting for a free instance is bounded too: a busy pool skips ticks.
	ctx, cancel := context.WithTimeout(context.Background(), m.limits.CallTimeout)
	defer cancel()
	if m.refusal() != nil {
		return // quarantined: no tick until it ends
	}
	input := strconv.AppendInt([]byte(`{"now":`), now.UnixMilli(), 10)
	err := m.unattendedCall(ctx, KindTick, func(in *instance) wapi.Function { return in.tickFn }, append(input, '}'))
	switch {
	case err == nil, errors.Is(err, errRetired):
	case errors.Is(err, context.DeadlineExceeded):
		m.log.Warn("wasm tick skipped: no instance free", "wait", m.limits.CallTimeout)
	default:
		m.log.Warn("wasm tick failed", "err", err)
	}
}

// mayCall refuses, before it runs, an API call the module may not make: an
// action outside its allowedActions, or, from init and tick (unattended),
// a realtime subscription, which needs a connection to deliver to.
func (m *Module) mayCall(payload []byte, unattended bool) *kerror.Error {
	restricted := m.access != nil && m.access.actions != nil
	if !restricted && !unattended {
		return nil
	}
	req, perr := api.Parse(payload, api.Connection{})
	if perr != nil {
		return nil // the API refuses it the same way, running nothing
	}
	if restricted && !m.access.allowsAction(req.Controller, req.Action) {
		return kerror.New("plugin.runtime.unexpected_error",
			fmt.Sprintf("action %s:%s not allowed for module %s", req.Controller, req.Action, m.name))
	}
	if unattended && req.Controller == "realtime" && (req.Action == "subscribe" || req.Action == "join") {
		return kerror.New("plugin.runtime.unexpected_error",
			fmt.Sprintf("realtime:%s needs a connection: not possible from %s or %s", req.Action, exportInit, exportTick))
	}
	return nil
}
