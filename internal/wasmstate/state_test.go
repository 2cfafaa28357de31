package wasmstate_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"testing"

	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/storetest"
	"github.com/starlingmq/starling/internal/store/teststores"
	"github.com/starlingmq/starling/internal/wasmstate"
)

// stores makes the stores of the tests, on each dialect.
var stores teststores.Dialects

func TestMain(m *testing.M) { os.Exit(teststores.Main(m, &stores)) }

// openStore opens the store of place, closed with the test.
func openStore(t *testing.T, place storetest.Opener) store.Store {
	t.Helper()
	return teststores.Open(t, place)
}

// TestUsageCountedAtOpen: what each module uses is counted again from the
// store at the next Open.
func TestUsageCountedAtOpen(t *testing.T) { stores.Run(t, testUsageCountedAtOpen) }

func testUsageCountedAtOpen(t *testing.T, fresh storetest.Fresh) {
	ctx := context.Background()
	place := fresh(t)
	st := openStore(t, place)
	s, err := wasmstate.Open(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1500 { // more than one page of the count
		key := []byte{byte(i), byte(i >> 8), '/', 0}
		if status := s.Set(ctx, "a", key, []byte("vv"), 1<<20); status != wasmstate.OK {
			t.Fatalf("set %d: %d", i, status)
		}
	}
	if _, status := s.Incr(ctx, "b", []byte("n"), 100, 1<<20); status != wasmstate.OK {
		t.Fatalf("incr: %d", status)
	}
	if s.Usage("a") != 1500*6 || s.Usage("b") != 4 {
		t.Fatalf("usage %d and %d", s.Usage("a"), s.Usage("b"))
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = openStore(t, place)
	defer st.Close()
	s, err = wasmstate.Open(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Usage("a") != 1500*6 || s.Usage("b") != 4 {
		t.Fatalf("usage after reopening: %d and %d", s.Usage("a"), s.Usage("b"))
	}
	if v, status := s.Get(ctx, "a", []byte{7, 0, '/', 0}); status != wasmstate.OK || string(v) != "vv" {
		t.Fatalf("get: %q %d", v, status)
	}
	if v, status := s.Get(ctx, "b", []byte{7, 0, '/', 0}); status != wasmstate.Absent || v != nil {
		t.Fatalf("another module's key: %q %d", v, status)
	}
}

// failing is a store whose document reads or writes fail on demand.
type failing struct {
	store.Store
	mu                  sync.Mutex
	failGets, failWrite bool
}

var errDisk = errors.New("disk on fire")

func (f *failing) set(gets, writes bool) {
	f.mu.Lock()
	f.failGets, f.failWrite = gets, writes
	f.mu.Unlock()
}

func (f *failing) Get(ctx context.Context, index, collection string, ids []string) ([]store.Document, error) {
	f.mu.Lock()
	fail := f.failGets
	f.mu.Unlock()
	if fail {
		return nil, errDisk
	}
	return f.Store.Get(ctx, index, collection, ids)
}

func (f *failing) Write(ctx context.Context, index, collection string, ops []store.Op) ([]store.Result, error) {
	f.mu.Lock()
	fail := f.failWrite
	f.mu.Unlock()
	if fail {
		return nil, errDisk
	}
	return f.Store.Write(ctx, index, collection, ops)
}

// TestStorageFailure: a failing store answers Failure, is logged, and
// leaves the count as it was.
func TestStorageFailure(t *testing.T) { stores.Run(t, testStorageFailure) }

func testStorageFailure(t *testing.T, fresh storetest.Fresh) {
	ctx := context.Background()
	st := &failing{Store: openStore(t, fresh(t))}
	defer st.Close()
	var logs bytes.Buffer
	s, err := wasmstate.Open(ctx, st, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if status := s.Set(ctx, "m", []byte("k"), []byte("1"), 100); status != wasmstate.OK {
		t.Fatal(status)
	}
	st.set(false, true)
	if status := s.Set(ctx, "m", []byte("other"), []byte("12345"), 100); status != wasmstate.Failure {
		t.Fatalf("set: %d", status)
	}
	if status := s.Delete(ctx, "m", []byte("k")); status != wasmstate.Failure {
		t.Fatalf("delete: %d", status)
	}
	if _, status := s.Incr(ctx, "m", []byte("k"), 1, 100); status != wasmstate.Failure {
		t.Fatalf("incr: %d", status)
	}
	st.set(true, false)
	if _, status := s.Get(ctx, "m", []byte("k")); status != wasmstate.Failure {
		t.Fatalf("get: %d", status)
	}
	if status := s.Set(ctx, "m", []byte("k"), []byte("2"), 100); status != wasmstate.Failure {
		t.Fatalf("set: %d", status)
	}
	if s.Usage("m") != 2 {
		t.Fatalf("usage %d after the failures, want 2", s.Usage("m"))
	}
	if n := bytes.Count(logs.Bytes(), []byte("wasm state: storage failure")); n != 5 || !bytes.Contains(logs.Bytes(), []byte("disk on fire")) {
		t.Fatalf("%d failures logged:\n%s", n, logs.String())
	}
	st.set(false, false)
	if v, status := s.Get(ctx, "m", []byte("k")); status != wasmstate.OK || string(v) != "1" {
		t.Fatalf("after the failures: %q %d", v, status)
	}
}
