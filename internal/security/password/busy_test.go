package password

import (
	"errors"
	"runtime"
	"sync"
	"testing"
)

// While every slot is taken, at most maxWaiting hashes wait; the next one
// fails at once with ErrBusy, and the waiting ones all complete once the
// slots free up.
func TestHasherBoundsWaitingHashes(t *testing.T) {
	h, err := NewHasher(cheap)
	if err != nil {
		t.Fatal(err)
	}
	if cap(h.slots) >= runtime.GOMAXPROCS(0) && runtime.GOMAXPROCS(0) > 1 {
		t.Fatalf("%d hash slots on %d cores: hashing could take every core", cap(h.slots), runtime.GOMAXPROCS(0))
	}
	for range cap(h.slots) {
		h.slots <- struct{}{}
	}
	var wg sync.WaitGroup
	errs := make(chan error, h.maxWaiting)
	for range h.maxWaiting {
		wg.Go(func() {
			_, err := h.Hash("secret")
			errs <- err
		})
	}
	for h.waiting.Load() < h.maxWaiting {
		runtime.Gosched() // until every hash above waits for a slot
	}
	if _, err := h.Hash("one too many"); !errors.Is(err, ErrBusy) {
		t.Fatalf("hash past the bound: %v, want ErrBusy", err)
	}
	if _, err := h.Verify("one too many", mustHash(t, cheap)); !errors.Is(err, ErrBusy) {
		t.Fatalf("verify past the bound: %v, want ErrBusy", err)
	}
	for range cap(h.slots) {
		<-h.slots
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a waiting hash failed: %v", err)
		}
	}
}

// mustHash is a hash made without the hasher under test.
func mustHash(t *testing.T, cfg Config) string {
	t.Helper()
	h, err := NewHasher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	encoded, err := h.Hash("secret")
	if err != nil {
		t.Fatal(err)
	}
	return encoded
}

// A decoy is a well-formed hash in the hasher's parameters that the
// password it was made without does not match.
func TestDecoy(t *testing.T) {
	h, err := NewHasher(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	d, err := h.Decoy()
	if err != nil {
		t.Fatal(err)
	}
	if h.NeedsRehash(d) {
		t.Fatalf("decoy %q is not in the hasher's parameters", d)
	}
	ok, err := h.Verify("", d)
	if err != nil || ok {
		t.Fatalf("verify against the decoy: %v, %v", ok, err)
	}
}
