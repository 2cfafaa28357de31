package wasmhost

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/starlingmq/starling/internal/kerror"
)

// Quarantine of a failing module (guests/README.md, "Faults and
// quarantine").
const (
	// quarantineStreak is how many calls in a row must trap (or time out)
	// for the module to be quarantined.
	quarantineStreak = 5
	// quarantineFirst is the first quarantine; each next one, until a call
	// succeeds, lasts twice the previous, up to quarantineMax.
	quarantineFirst = time.Second
	quarantineMax   = 5 * time.Minute
)

// quarantine is one module version's streak of traps and its backoff; a new
// version (the file replaced) starts with none, which lifts a quarantine.
type quarantine struct {
	// until is the end of the quarantine in Unix nanoseconds, 0 for none.
	until atomic.Int64
	// failing is true while streak or next is not at rest, so that a
	// successful call costs one atomic load.
	failing atomic.Bool

	mu     sync.Mutex
	streak int           // calls in a row that trapped
	next   time.Duration // the next quarantine's length
}

// quarantinedUntil returns the end of the module's quarantine, and false
// when it is not quarantined now.
func (m *Module) quarantinedUntil() (time.Time, bool) {
	until := m.q.until.Load()
	if until == 0 {
		return time.Time{}, false
	}
	now := m.host.now()
	if now.UnixNano() >= until {
		return time.Time{}, false
	}
	return time.Unix(0, until), true
}

// refusal returns the error a call gets while the module is quarantined,
// nil when it may run. A retired version refuses nothing: the call goes to
// its successor.
func (m *Module) refusal() *kerror.Error {
	until, ok := m.quarantinedUntil()
	if !ok || m.isRetired() {
		return nil
	}
	return kerror.New("plugin.runtime.unexpected_error",
		fmt.Sprintf("module %s is quarantined until %s", m.name, until.UTC().Format("2006-01-02T15:04:05.000Z07:00")))
}

// isRetired reports whether a newer version (or an unload) replaced m.
func (m *Module) isRetired() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.retired
}

// recordCall is where every call into the module ends, whatever its kind
// (controller action, filter test, pipe, hook, init, tick): it feeds the
// module's metrics, the host's Observer and the quarantine. trapped says
// that the guest trapped or ran out of time (the instance was lost), as
// opposed to returning, even an error: it is the instance's trapped field
// once invoke or callPacked returned. A new kind of call checks refusal
// first (nil: it may run) and, once it ran, calls recordCall on the
// version that served it.
func (m *Module) recordCall(kind string, start time.Time, err error, trapped bool) {
	elapsed := time.Since(start)
	m.stats.record(elapsed, err != nil, trapped)
	if m.host.obs != nil {
		m.host.obs.WasmCall(m.name, kind, elapsed, err)
	}
	if trapped {
		m.trapped()
	} else if m.q.failing.Load() {
		m.q.mu.Lock()
		m.q.streak, m.q.next = 0, 0
		m.q.failing.Store(false)
		m.q.mu.Unlock()
	}
}

// trapped counts a trap; the quarantineStreak-th in a row quarantines the
// module. Traps of calls that were already running when the quarantine
// began do not count towards the next one.
func (m *Module) trapped() {
	q := &m.q
	q.mu.Lock()
	defer q.mu.Unlock()
	q.failing.Store(true)
	now := m.host.now()
	if now.UnixNano() < q.until.Load() {
		return
	}
	q.streak++
	if q.streak < quarantineStreak {
		return
	}
	q.streak = 0
	d := q.next
	if d == 0 {
		d = quarantineFirst
	}
	q.next = min(2*d, quarantineMax)
	until := now.Add(d)
	q.until.Store(until.UnixNano())
	m.log.Warn("wasm module quarantined", "until", until.UTC().Format(time.RFC3339Nano), "for", d.String(),
		"traps", quarantineStreak)
}
