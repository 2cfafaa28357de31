package local

import (
	"context"
	"errors"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/security/password"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/storetest"
	"github.com/starlingmq/starling/internal/store/teststores"
)

// fastConfig keeps Argon2 cheap in tests.
var fastConfig = password.Config{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// clock is an injected clock moved by hand.
type clock struct{ now atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.now.Store(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano())
	return c
}

func (c *clock) Now() time.Time          { return time.Unix(0, c.now.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.now.Add(int64(d)) }

// stores makes the stores of the tests, on each dialect.
var stores teststores.Dialects

func TestMain(m *testing.M) { os.Exit(teststores.Main(m, &stores)) }

// openStore opens a new store of fresh, closed with the test.
func openStore(t *testing.T, fresh storetest.Fresh) store.Store {
	t.Helper()
	return teststores.Open(t, fresh(t))
}

// fixture is a strategy on a fresh store.
type fixture struct {
	s     *Strategy
	st    store.Store
	clock *clock
	// verifies counts hash verifications.
	verifies atomic.Int32
}

func newFixture(t *testing.T, fresh storetest.Fresh, policies []password.Policy, opts Options) *fixture {
	t.Helper()
	return newFixtureOn(t, openStore(t, fresh), fastConfig, policies, opts)
}

func newFixtureOn(t *testing.T, st store.Store, cfg password.Config, policies []password.Policy, opts Options) *fixture {
	t.Helper()
	h, err := password.NewHasher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := password.NewPolicies(policies)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, clock: newClock()}
	if opts.Now == nil {
		opts.Now = f.clock.Now
	}
	f.s, err = New(context.Background(), st, h, ps, opts)
	if err != nil {
		t.Fatal(err)
	}
	f.s.verifyHash = func(pw, encoded string) (bool, error) {
		f.verifies.Add(1)
		return h.Verify(pw, encoded)
	}
	return f
}

// creds encodes a credentials body.
func creds(username, pw string) jsonx.RawMessage {
	body := map[string]any{}
	if username != "" {
		body["username"] = username
	}
	if pw != "" {
		body["password"] = pw
	}
	b, _ := jsonx.Marshal(body)
	return b
}

// mustCreate validates and creates credentials, as a controller does.
func (f *fixture) mustCreate(t *testing.T, kuid, username, pw, updater string) {
	t.Helper()
	ctx := context.Background()
	if err := f.s.Validate(ctx, kuid, creds(username, pw), false); err != nil {
		t.Fatalf("validate %s: %v", kuid, err)
	}
	if _, err := f.s.Create(ctx, kuid, creds(username, pw), updater); err != nil {
		t.Fatalf("create %s: %v", kuid, err)
	}
}

// stored reads the document of username.
func (f *fixture) stored(t *testing.T, username string) *record {
	t.Helper()
	r, err := f.s.byUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// wantErr checks err: "" for none, a Kuzzle or policy id otherwise, and
// the message when msg is not "".
func wantErr(t *testing.T, err error, id, msg string) {
	t.Helper()
	if id == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var kerr *kerror.Error
	var perr *password.PolicyError
	switch {
	case errors.As(err, &kerr):
		if kerr.ID != id || (msg != "" && kerr.Message != msg) {
			t.Fatalf("error %s %q, want %s %q", kerr.ID, kerr.Message, id, msg)
		}
	case errors.As(err, &perr):
		if perr.ID != id || (msg != "" && perr.Message != msg) {
			t.Fatalf("error %s %q, want %s %q", perr.ID, perr.Message, id, msg)
		}
	default:
		t.Fatalf("error %v, want %s", err, id)
	}
}
