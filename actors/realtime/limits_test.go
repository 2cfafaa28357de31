package realtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/starlingmq/starling/actors/connection"
	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/koncorde"
)

// recorder is a slog handler keeping every record's message and attributes.
type recorder struct {
	mu      sync.Mutex
	records []map[string]any
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }

func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	m := map[string]any{"msg": rec.Message}
	rec.Attrs(func(a slog.Attr) bool {
		m[a.Key] = a.Value.Any()
		return true
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, m)
	return nil
}

// refusals returns the refusals logged for a connection, as "limit max".
func (r *recorder) refusals(connectionID string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range r.records {
		if m["connection"] == connectionID {
			out = append(out, fmt.Sprintf("%v %v", m["limit"], m["max"]))
		}
	}
	return out
}

// limitsFixture is a realtime subsystem on its own actor system.
type limitsFixture struct {
	t      *testing.T
	system *actor.ActorSystem
	rt     *Realtime
	log    *recorder
}

func startLimits(t *testing.T, cfg Config) *limitsFixture {
	t.Helper()
	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}))
	t.Cleanup(system.Shutdown)
	f := &limitsFixture{t: t, system: system, log: &recorder{}}
	cfg.Node, cfg.Logger = "n", slog.New(f.log)
	cfg.Encode = func(dst []byte, topic string, payload []byte, _ byte) []byte {
		return append(append(dst, topic...), payload...)
	}
	rt, err := Start(system, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Stop() })
	f.rt = rt
	return f
}

// connection spawns an actor standing for a connection's, which the rooms
// actor watches; stop stops it and returns once it ended.
func (f *limitsFixture) connection(id string) (stop func()) {
	f.t.Helper()
	pid, err := f.system.Root.SpawnNamed(actor.PropsFromFunc(func(actor.Context) {}), connection.PID(f.system, id).Id)
	if err != nil {
		f.t.Fatal(err)
	}
	return func() {
		if err := f.system.Root.StopFuture(pid).Wait(); err != nil {
			f.t.Fatal(err)
		}
	}
}

// call runs an action for a connection and returns its error id, "" on
// success.
func (f *limitsFixture) call(action func(context.Context, *api.Request) (any, error), connectionID, payload string) string {
	f.t.Helper()
	req, kerr := api.Parse([]byte(payload), api.Connection{ID: connectionID, Protocol: "internal"})
	if kerr != nil {
		f.t.Fatal(kerr)
	}
	_, err := action(context.Background(), req)
	if err == nil {
		return ""
	}
	var ke *kerror.Error
	if !errors.As(err, &ke) {
		f.t.Fatalf("%s: not a Kuzzle error: %v", payload, err)
	}
	return ke.ID
}

func (f *limitsFixture) subscribe(connectionID, filter, extra string) string {
	f.t.Helper()
	return f.call(f.rt.subscribe, connectionID, `{"index":"i","collection":"c","body":`+filter+extra+`}`)
}

func (f *limitsFixture) roomOf(filter string) string {
	f.t.Helper()
	n, err := f.rt.engine.NormalizeJSON("i", "c", []byte(filter))
	if err != nil {
		f.t.Fatal(err)
	}
	return n.ID
}

func (f *limitsFixture) refused() map[string]int64 {
	f.t.Helper()
	s, err := f.rt.Stats(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return s.Refused
}

func kind(i int) string { return fmt.Sprintf(`{"equals":{"kind":"k%d"}}`, i) }

const (
	tooManyRooms = "core.realtime.too_many_rooms"
	tooManyTerms = "core.realtime.too_many_terms"
)

func TestRoomsPerConnection(t *testing.T) {
	f := startLimits(t, Config{Engine: koncorde.New(koncorde.WithMaxMinterms(4)), MaxRoomsPerConnection: 3})
	stopA := f.connection("a")
	for i := range 3 {
		if id := f.subscribe("a", kind(i), ""); id != "" {
			t.Fatalf("room %d: %s", i, id)
		}
	}
	steps := []struct {
		name, connection, action, payload, want string
	}{
		{"a 4th room", "a", "subscribe", kind(3), tooManyRooms},
		{"a 4th room again", "a", "subscribe", kind(3), tooManyRooms},
		{"a room a is in", "a", "subscribe", kind(1), ""},
		{"a room a is in, another channel", "a", "subscribe", kind(1) + `,"scope":"in"`, ""},
		{"another connection", "b", "subscribe", kind(3), ""},
		{"a joins b's room", "a", "join", f.roomOf(kind(3)), tooManyRooms},
		{"b joins a's room", "b", "join", f.roomOf(kind(0)), ""},
		{"a leaves a room", "a", "unsubscribe", f.roomOf(kind(0)), ""},
		{"then takes another", "a", "subscribe", kind(3), ""},
		{"8 minterms", "a", "subscribe", `{"and":[{"or":[{"exists":"a"},{"exists":"b"}]},{"or":[{"exists":"c"},{"exists":"d"}]},{"or":[{"exists":"e"},{"exists":"f"}]}]}`, tooManyTerms},
		{"8 minterms again", "b", "subscribe", `{"and":[{"in":{"a":["x","y"]}},{"in":{"b":["x","y"]}},{"in":{"c":["x","y"]}}]}`, tooManyTerms},
	}
	actions := map[string]func(context.Context, *api.Request) (any, error){
		"subscribe": f.rt.subscribe, "join": f.rt.join, "unsubscribe": f.rt.unsubscribe,
	}
	for _, s := range steps {
		payload := `{"index":"i","collection":"c","body":` + s.payload + `}`
		if s.action != "subscribe" {
			payload = `{"body":{"roomId":"` + s.payload + `"}}`
		}
		if got := f.call(actions[s.action], s.connection, payload); got != s.want {
			t.Fatalf("%s: got %q, want %q", s.name, got, s.want)
		}
	}
	if got, want := f.refused(), map[string]int64{tooManyRooms: 3, tooManyTerms: 2}; !maps.Equal(got, want) {
		t.Fatalf("refused %v, want %v", got, want)
	}
	if got := f.log.refusals("a"); !slices.Equal(got, []string{"limits.subscriptionRoomsPerConnection 3", "limits.subscriptionMinterms 4"}) {
		t.Fatalf("a's refusals logged: %v", got)
	}
	// Once a's actor ended, a's next refusal is logged again. Its Terminated
	// reaches the rooms actor before StopFuture's: watchers are told in the
	// order they watched.
	stopA()
	if id := f.subscribe("a", kind(4), ""); id != tooManyRooms {
		t.Fatalf("a 4th room after the end: %q", id)
	}
	if got := f.log.refusals("a"); len(got) != 3 {
		t.Fatalf("a's refusals logged: %v", got)
	}
}

func TestRoomsLimits(t *testing.T) {
	f := startLimits(t, Config{Engine: koncorde.New(), MaxRooms: 2})
	for i := range 2 {
		if id := f.subscribe("a", kind(i), ""); id != "" {
			t.Fatalf("room %d: %s", i, id)
		}
	}
	if id := f.subscribe("b", kind(2), ""); id != tooManyRooms {
		t.Fatalf("a 3rd room: %q", id)
	}
	if id := f.subscribe("b", kind(1), ""); id != "" {
		t.Fatalf("an existing room: %q", id)
	}
	if got := f.log.refusals("b"); !slices.Equal(got, []string{"limits.subscriptionRooms 2"}) {
		t.Fatalf("b's refusals logged: %v", got)
	}
	// No per-connection limit, no minterms limit.
	g := startLimits(t, Config{Engine: koncorde.New()})
	for i := range 20 {
		if id := g.subscribe("a", kind(i), ""); id != "" {
			t.Fatalf("room %d: %s", i, id)
		}
	}
	if got := g.refused(); got == nil || len(got) != 0 {
		t.Fatalf("refused %v, want an empty map", got)
	}
}
