package validation

import (
	"slices"
	"testing"

	"github.com/starlingmq/starling/internal/coherence"
)

// TestRegistryEmitsItsOwnChangesOnly checks that Set, Delete and
// DeleteIndex tell other nodes, and that Load and Replace, which bring in
// what the store already holds, do not; a change applied through Load
// reaches a second registry.
func TestRegistryEmitsItsOwnChangesOnly(t *testing.T) {
	a, b := NewRegistry(), NewRegistry()
	var sent []coherence.Change
	a.SetEmitter(func(c coherence.Change) { sent = append(sent, c) })
	b.SetEmitter(func(c coherence.Change) { t.Errorf("b emitted %s", c) })
	spec := mustParse(t, `{"strict":true}`)
	a.Set(spec)
	b.Load("i", "c", spec) // what the other node reads from the store
	if b.Get("i", "c") != spec {
		t.Fatal("Load did not set")
	}
	a.Delete("i", "c")
	b.Load("i", "c", nil)
	if b.Get("i", "c") != nil {
		t.Fatal("Load nil did not remove")
	}
	a.DeleteIndex("i")
	b.Replace(nil)
	want := []coherence.Change{
		{Kind: coherence.Specification, Key: "i", Sub: "c"},
		{Kind: coherence.Specification, Key: "i", Sub: "c"},
		{Kind: coherence.Specification, Key: "i"},
	}
	if !slices.Equal(sent, want) {
		t.Errorf("sent %v, want %v", sent, want)
	}
}
