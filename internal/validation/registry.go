package validation

import (
	"sync"
	"sync/atomic"

	"github.com/starlingmq/starling/internal/coherence"
)

// Registry holds the specification of every index and collection. It is
// safe for concurrent use: Get reads an immutable snapshot without
// locking; Set, Delete and Replace copy the snapshot under a mutex and
// swap it, so writers are serialized and readers never wait.
//
// Nodes sharing one store keep their registries in line: Set, Delete and
// DeleteIndex, called once the store holds the change, emit a
// coherence.Specification change through the emitter (SetEmitter); the
// other nodes read the stored specification again and Load it, which
// emits nothing. Replace and Load are for what the store already holds.
type Registry struct {
	mu   sync.Mutex // serializes writers
	snap atomic.Pointer[map[string]*Specification]
	emit coherence.Emitter
}

// SetEmitter makes send receive the registry's changes (nil: nothing is
// sent); send must return at once.
func (r *Registry) SetEmitter(send func(coherence.Change)) { r.emit.Set(send) }

// Load sets (s not nil) or removes (s nil) the specification of a
// collection as the store holds it, after another node changed it; it
// emits nothing.
func (r *Registry) Load(index, collection string, s *Specification) {
	r.update(func(m map[string]*Specification) {
		if s == nil {
			delete(m, registryKey(index, collection))
			return
		}
		m[registryKey(index, collection)] = s
	})
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	r := &Registry{}
	empty := map[string]*Specification{}
	r.snap.Store(&empty)
	return r
}

func registryKey(index, collection string) string { return index + "\x00" + collection }

// Get returns the specification of a collection, nil when it has none (a
// nil *Specification accepts every document).
func (r *Registry) Get(index, collection string) *Specification {
	return (*r.snap.Load())[registryKey(index, collection)]
}

// Set stores a specification under its index and collection, replacing
// any previous one.
func (r *Registry) Set(s *Specification) {
	r.update(func(m map[string]*Specification) { m[registryKey(s.index, s.collection)] = s })
	r.emit.Emit(coherence.Change{Kind: coherence.Specification, Key: s.index, Sub: s.collection})
}

// Delete removes a collection's specification; it reports whether there
// was one.
func (r *Registry) Delete(index, collection string) bool {
	found := false
	r.update(func(m map[string]*Specification) {
		k := registryKey(index, collection)
		_, found = m[k]
		delete(m, k)
	})
	r.emit.Emit(coherence.Change{Kind: coherence.Specification, Key: index, Sub: collection})
	return found
}

// DeleteIndex removes the specifications of every collection of an index
// (the index was deleted).
func (r *Registry) DeleteIndex(index string) {
	r.update(func(m map[string]*Specification) {
		for k, s := range m {
			if s.index == index {
				delete(m, k)
			}
		}
	})
	r.emit.Emit(coherence.Change{Kind: coherence.Specification, Key: index})
}

// Replace swaps every specification for the given ones, as Kuzzle reloads
// them all from storage.
func (r *Registry) Replace(specs []*Specification) {
	m := make(map[string]*Specification, len(specs))
	for _, s := range specs {
		m[registryKey(s.index, s.collection)] = s
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.snap.Store(&m)
}

// All returns every specification, in no particular order.
func (r *Registry) All() []*Specification {
	m := *r.snap.Load()
	out := make([]*Specification, 0, len(m))
	for _, s := range m {
		out = append(out, s)
	}
	return out
}

func (r *Registry) update(change func(map[string]*Specification)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := *r.snap.Load()
	m := make(map[string]*Specification, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	change(m)
	r.snap.Store(&m)
}
