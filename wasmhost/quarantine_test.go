package wasmhost_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/starlingmq/starling/wasmhost"
)

// fakeClock is the quarantine's clock, moved by the test.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// warnings keeps the messages of the warnings logged.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (w *warnings) WithAttrs([]slog.Attr) slog.Handler           { return w }
func (w *warnings) WithGroup(string) slog.Handler                { return w }
func (w *warnings) Handle(_ context.Context, r slog.Record) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, r.Message)
	return nil
}

func (w *warnings) count(msg string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, m := range w.msgs {
		if m == msg {
			n++
		}
	}
	return n
}

// quarantineHost is a host on a fake clock, with a state store.
func quarantineHost(t *testing.T) (*wasmhost.Host, *fakeClock, *warnings) {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)}
	logs := &warnings{}
	h, err := wasmhost.New(context.Background(), wasmhost.Options{
		Config: wasmhost.Config{Limits: wasmhost.Limits{PoolSize: 2}, CacheDir: filepath.Join(buildDir, "cache")},
		Logger: slog.New(logs), Now: clock.Now, State: openState(t, t.TempDir()),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close(context.Background()) })
	return h, clock, logs
}

// call runs one action and returns its error message ("" on success).
func call(t *testing.T, m *wasmhost.Module, action string) string {
	t.Helper()
	_, kerr := m.Handle(context.Background(), request(t, `{"controller":"`+m.ControllerName()+`","action":"`+action+`"}`))
	if kerr == nil {
		return ""
	}
	if kerr.ID != "plugin.runtime.unexpected_error" {
		t.Fatalf("%s: %v", action, kerr)
	}
	return kerr.Message
}

// trapUntilQuarantined makes 5 calls trap and checks the 6th is refused
// until now+d.
func trapUntilQuarantined(t *testing.T, m *wasmhost.Module, clock *fakeClock, d time.Duration) {
	t.Helper()
	for i := range 5 {
		if msg := call(t, m, "trap"); !strings.Contains(msg, "unreachable") {
			t.Fatalf("trap %d: %q", i+1, msg)
		}
	}
	want := "module " + m.Name() + " is quarantined until " + clock.Now().Add(d).Format("2006-01-02T15:04:05.000Z07:00")
	for _, action := range []string{"version", "trap"} {
		if msg := call(t, m, action); !strings.Contains(msg, want) {
			t.Fatalf("%s while quarantined: %q, want %q", action, msg, want)
		}
	}
}

func TestQuarantine(t *testing.T) {
	h, clock, logs := quarantineHost(t)
	dir := t.TempDir()
	m, err := h.Load(context.Background(), install(t, dir, "qm", buildState(t, 1)))
	if err != nil {
		t.Fatal(err)
	}
	f, err := h.Filter("qm", "trapif", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Four traps, then a success: the streak starts again.
	for range 4 {
		call(t, m, "trap")
	}
	if msg := call(t, m, "version"); msg != "" {
		t.Fatal(msg)
	}
	trapUntilQuarantined(t, m, clock, time.Second)
	if logs.count("wasm module quarantined") != 1 {
		t.Fatalf("%d quarantine warnings, want 1", logs.count("wasm module quarantined"))
	}
	if ok, err := f.Test(context.Background(), []byte(`{"trap":false}`)); ok || err != nil {
		t.Fatalf("a quarantined module's filter: %v %v, want no match", ok, err)
	}
	if st := h.Stats()["qm"]; !st.QuarantinedUntil.Equal(clock.Now().Add(time.Second)) || st.Traps != 9 {
		t.Fatalf("stats while quarantined: %+v", st)
	}
	// Released after 1 s; 5 more traps (of the filter): 2 s, then 4 s.
	clock.advance(time.Second)
	for range 4 {
		if ok, err := f.Test(context.Background(), []byte(`{"trap":true}`)); ok || err == nil {
			t.Fatalf("a trapping filter: %v %v", ok, err)
		}
	}
	if ok, err := f.Test(context.Background(), []byte(`{"trap":true}`)); ok || err == nil {
		t.Fatalf("a trapping filter: %v %v", ok, err)
	}
	if msg := call(t, m, "version"); !strings.Contains(msg, "is quarantined until "+clock.Now().Add(2*time.Second).Format("2006-01-02T15:04:05.000Z07:00")) {
		t.Fatalf("after filter traps: %q", msg)
	}
	clock.advance(2 * time.Second)
	trapUntilQuarantined(t, m, clock, 4*time.Second)
	clock.advance(4 * time.Second)
	// A success resets the backoff: the next quarantine lasts 1 s.
	if ok, err := f.Test(context.Background(), []byte(`{"trap":false}`)); !ok || err != nil {
		t.Fatalf("the filter once released: %v %v", ok, err)
	}
	trapUntilQuarantined(t, m, clock, time.Second)
	if n := logs.count("wasm module quarantined"); n != 4 {
		t.Fatalf("%d quarantine warnings, want 4", n)
	}
	// Replacing the file lifts the quarantine.
	m2, err := h.Load(context.Background(), install(t, dir, "qm", buildState(t, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if msg := call(t, m2, "version"); msg != "" {
		t.Fatalf("the new version: %q", msg)
	}
	// A request routed to the old version goes to the new one.
	if res, kerr := m.Handle(context.Background(), request(t, `{"controller":"qm/state","action":"version"}`)); kerr != nil || string(res) != "2" {
		t.Fatalf("the old version after the reload: %s %v", res, kerr)
	}
	if ok, err := f.Test(context.Background(), []byte(`{}`)); !ok || err != nil {
		t.Fatalf("the filter after the reload: %v %v", ok, err)
	}
}

// TestQuarantineBackoffCap: the quarantine doubles up to 5 minutes.
func TestQuarantineBackoffCap(t *testing.T) {
	h, clock, _ := quarantineHost(t)
	m := load(t, h, "cap", buildState(t, 1))
	d := time.Second
	for range 10 {
		trapUntilQuarantined(t, m, clock, d)
		clock.advance(d)
		d = min(2*d, 5*time.Minute)
	}
	if d != 5*time.Minute {
		t.Fatalf("the backoff reached %v", d)
	}
}
