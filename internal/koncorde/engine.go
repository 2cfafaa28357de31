package koncorde

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/starlingmq/starling/internal/jsonx"
)

// Engine stores filters per index and collection and tells which of them
// match a document.
//
// Engine is safe for concurrent use: Test, TestDocument, TestJSON, IDs and
// Has take a read lock and run in parallel; Register, Store and Remove
// take the write lock. Validate and Normalize touch no shared state.
type Engine struct {
	norm normalizer
	ext  ExternalFilters // nil: no wasm keyword

	mu      sync.RWMutex
	scopes  map[string]*scope        // by index "/" collection
	filters map[string]*storedFilter // by filter id
	// external holds the ids of the stored filters that use the wasm
	// keyword; externals counts them for readers without the lock.
	external  map[string]struct{}
	externals atomic.Int64

	scratch sync.Pool
}

// Option configures an Engine.
type Option func(*Engine)

// WithMaxConditions sets the most conditions a filter may hold once in and
// ids are expanded (Kuzzle's limits.subscriptionConditionsCount, 100 by
// default there). 0, the default here, means unlimited.
func WithMaxConditions(n int) Option {
	return func(e *Engine) { e.norm.maxConditions = max(n, 0) }
}

// WithMaxMinterms sets the most minterms a filter's normal form may have:
// the conjunctions its disjunctive normal form ors together, counted before
// impossible ones are pruned (Kuzzle's limits.subscriptionMinterms). A filter
// past it is refused with core.realtime.too_many_terms before any expansion,
// so that an and of ors (2^n minterms for n two-way ors) costs a walk of its
// tree, not its normal form. 0, the default here, means unlimited; an
// internal bound of 16,384 minterms still applies, refused as
// api.assert.koncorde_dsl_error.
func WithMaxMinterms(n int) Option {
	return func(e *Engine) { e.norm.maxMinterms = max(n, 0) }
}

// MaxMinterms returns the limit set by WithMaxMinterms, 0 for none.
func (e *Engine) MaxMinterms() int { return e.norm.maxMinterms }

// New returns an empty engine.
func New(opts ...Option) *Engine {
	e := &Engine{scopes: map[string]*scope{}, filters: map[string]*storedFilter{}}
	for _, o := range opts {
		o(e)
	}
	e.scratch.New = func() any { return &scratch{} }
	return e
}

// Normalized is a validated filter in canonical form, with its id.
// Equivalent filters on the same index and collection get the same id.
type Normalized struct {
	// ID is the filter id: hex SHA-256 of index, collection and form.
	ID string
	// Index and Collection are where the filter applies.
	Index, Collection string

	form     *form
	external bool // it uses the wasm keyword
}

// Validate checks a filter without normalizing it. The error is a
// *kerror.Error api.assert.koncorde_dsl_error with koncorde's message.
func (e *Engine) Validate(filter map[string]any) error {
	n, err := parseFilter(filter)
	if err != nil {
		return err
	}
	return e.resolveExternal(n)
}

// Normalize validates a filter, enforces the conditions and minterms limits
// and returns its canonical form and id. Errors are
// api.assert.koncorde_dsl_error, or core.realtime.too_many_terms (status
// 413) past WithMaxMinterms.
func (e *Engine) Normalize(index, collection string, filter map[string]any) (*Normalized, error) {
	n, err := parseFilter(filter)
	if err != nil {
		return nil, err
	}
	if err := e.resolveExternal(n); err != nil {
		return nil, err
	}
	external := hasExternal(n) // before normalize, which consumes select queries
	f, err := e.norm.normalize(n)
	if err != nil {
		return nil, err
	}
	return &Normalized{ID: filterID(index, collection, f), Index: index, Collection: collection, form: f, external: external}, nil
}

// NormalizeJSON is Normalize on a raw JSON object.
func (e *Engine) NormalizeJSON(index, collection string, raw []byte) (*Normalized, error) {
	var filter map[string]any
	if err := jsonx.Unmarshal(raw, &filter); err != nil {
		return nil, dslError("", "Invalid filter: "+err.Error())
	}
	return e.Normalize(index, collection, filter)
}

// filterID hashes the index, the collection and the canonical form: stable
// across restarts and processes.
func filterID(index, collection string, f *form) string {
	var stack [256]byte // most keys fit: no allocation
	buf := append(append(stack[:0], index...), 0)
	buf = append(append(buf, collection...), 0)
	buf = append(f.appendKey(buf), 0)
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}

// Store adds a normalized filter; storing an id already there does nothing.
func (e *Engine) Store(n *Normalized) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.filters[n.ID]; ok {
		return n.ID
	}
	s := e.scopes[n.Index+"/"+n.Collection]
	if s == nil {
		s = newScope()
		e.scopes[n.Index+"/"+n.Collection] = s
	}
	e.filters[n.ID] = s.add(n)
	if n.external {
		if e.external == nil {
			e.external = map[string]struct{}{}
		}
		e.external[n.ID] = struct{}{}
		e.externals.Add(1)
	}
	return n.ID
}

// HasExternal reports whether a stored filter uses the wasm keyword: then
// a test may run guest code and take as long as a guest call may. It takes
// no lock.
func (e *Engine) HasExternal() bool { return e.externals.Load() > 0 }

// Register normalizes and stores a filter, returning its id.
func (e *Engine) Register(index, collection string, filter map[string]any) (string, error) {
	n, err := e.Normalize(index, collection, filter)
	if err != nil {
		return "", err
	}
	return e.Store(n), nil
}

// Remove deletes a filter; it reports whether the filter was there.
func (e *Engine) Remove(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	f, ok := e.filters[id]
	if !ok {
		return false
	}
	delete(e.filters, id)
	if _, ok := e.external[id]; ok {
		delete(e.external, id)
		e.externals.Add(-1)
	}
	if s := f.scope; s.remove(f) == 0 {
		for k, v := range e.scopes {
			if v == s {
				delete(e.scopes, k)
			}
		}
	}
	return true
}

// Has reports whether a filter id is stored.
func (e *Engine) Has(id string) bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	_, ok := e.filters[id]
	return ok
}

// HasFilters reports whether a filter is stored for an index and
// collection: when not, no document of theirs can match.
func (e *Engine) HasFilters(index, collection string) bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.scopes[index+"/"+collection] != nil
}

// IDs lists the filter ids stored for an index and collection, sorted.
func (e *Engine) IDs(index, collection string) []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	s := e.scopes[index+"/"+collection]
	if s == nil {
		return nil
	}
	ids := make([]string, 0, s.count)
	for _, f := range s.filters {
		if f != nil {
			ids = append(ids, f.id)
		}
	}
	slices.Sort(ids)
	return ids
}

// Test returns the ids of the filters of index and collection matching a
// decoded JSON document, in no particular order.
func (e *Engine) Test(index, collection string, body map[string]any) []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	s := e.scopes[index+"/"+collection]
	if s == nil {
		return nil
	}
	sc := e.scratch.Get().(*scratch)
	defer e.scratch.Put(sc)
	defer sc.doc.release()
	sc.doc.body = body
	if len(s.fields) < len(body) {
		return s.matchBody(body, sc)
	}
	sc.doc.fields = sc.doc.fields[:0]
	sc.doc.fill(body, "")
	return s.match(&sc.doc, sc)
}

// TestJSON is Test on a raw JSON object, read as ParseDocument does.
// raw must not change during the call.
func (e *Engine) TestJSON(index, collection string, raw []byte) ([]string, error) {
	return e.TestJSONWithID(index, collection, raw, "")
}

// TestJSONWithID is TestJSON on the document of that id (as in
// NewDocument; "" for none). The document is read into pooled memory and
// not kept: testing a published message allocates nothing but the result.
// raw must not change during the call.
func (e *Engine) TestJSONWithID(index, collection string, raw []byte, id string) ([]string, error) {
	sc := e.scratch.Get().(*scratch)
	defer e.scratch.Put(sc)
	// The document's strings point into raw; they are dropped by release
	// before the call returns.
	src := unsafe.String(unsafe.SliceData(raw), len(raw))
	if err := sc.doc.parse(&sc.flat, src, id, bytesMembers(raw)); err != nil {
		return nil, err
	}
	defer sc.doc.release()
	sc.doc.raw = raw
	e.mu.RLock()
	defer e.mu.RUnlock()
	s := e.scopes[index+"/"+collection]
	if s == nil {
		return nil, nil
	}
	return s.match(&sc.doc, sc), nil
}

// TestDocument returns the ids of the filters matching a prepared document.
func (e *Engine) TestDocument(index, collection string, d *Document) []string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	s := e.scopes[index+"/"+collection]
	if s == nil {
		return nil
	}
	sc := e.scratch.Get().(*scratch)
	defer e.scratch.Put(sc)
	return s.match(d.d, sc)
}
