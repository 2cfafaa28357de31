package token

import (
	"container/heap"
	"time"
)

// entry is one live token in the registry.
type entry struct {
	tok Token
	// deadline is when the entry ends: the token's expiry, or the end of
	// its grace period once refreshed; zero for never.
	deadline time.Time
	// exp is the JWT's exp claim, zero when absent: a registered JWT's
	// signature was checked once, so checks afterwards compare exp only.
	exp time.Time
	// index is the entry's place in the expiry heap, -1 when not in it.
	index int
	// fingerprint is the JWT's Fingerprint.
	fingerprint string
}

// expiryHeap orders the entries that end by their deadline, soonest first.
// Entries that never end are not in it.
type expiryHeap []*entry

func (h expiryHeap) Len() int { return len(h) }

func (h expiryHeap) Less(i, j int) bool { return h[i].deadline.Before(h[j].deadline) }

func (h expiryHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}

func (h *expiryHeap) Push(x any) {
	e := x.(*entry)
	e.index = len(*h)
	*h = append(*h, e)
}

func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	e.index = -1
	*h = old[:len(old)-1]
	return e
}

// registry holds the live tokens by JWT, by user, and by deadline. It is
// not safe for concurrent use: the Manager's lock guards it.
type registry struct {
	byJWT map[string]*entry
	// byPrint finds entries by their JWT's Fingerprint, as other nodes
	// name them.
	byPrint map[string]*entry
	byUser  map[string]map[*entry]struct{}
	expiry  expiryHeap
}

func newRegistry() *registry {
	return &registry{byJWT: map[string]*entry{}, byPrint: map[string]*entry{}, byUser: map[string]map[*entry]struct{}{}}
}

func (r *registry) len() int { return len(r.byJWT) }

// add inserts e, replacing an entry with the same JWT.
func (r *registry) add(e *entry) {
	if old, ok := r.byJWT[e.tok.JWT]; ok {
		r.remove(old)
	}
	e.index = -1
	r.byJWT[e.tok.JWT] = e
	e.fingerprint = Fingerprint(e.tok.JWT)
	r.byPrint[e.fingerprint] = e
	set := r.byUser[e.tok.UserID]
	if set == nil {
		set = map[*entry]struct{}{}
		r.byUser[e.tok.UserID] = set
	}
	set[e] = struct{}{}
	if !e.deadline.IsZero() {
		heap.Push(&r.expiry, e)
	}
}

// remove deletes e from every index.
func (r *registry) remove(e *entry) {
	delete(r.byJWT, e.tok.JWT)
	delete(r.byPrint, e.fingerprint)
	if set := r.byUser[e.tok.UserID]; set != nil {
		delete(set, e)
		if len(set) == 0 {
			delete(r.byUser, e.tok.UserID)
		}
	}
	if e.index >= 0 {
		heap.Remove(&r.expiry, e.index)
	}
}

// setDeadline moves e in the expiry heap.
func (r *registry) setDeadline(e *entry, d time.Time) {
	e.deadline = d
	switch {
	case e.index >= 0 && d.IsZero():
		heap.Remove(&r.expiry, e.index)
	case e.index >= 0:
		heap.Fix(&r.expiry, e.index)
	case !d.IsZero():
		heap.Push(&r.expiry, e)
	}
}

// next is the soonest deadline, false when nothing ends.
func (r *registry) next() (time.Time, bool) {
	if len(r.expiry) == 0 {
		return time.Time{}, false
	}
	return r.expiry[0].deadline, true
}

// popDue removes and returns the entries whose deadline is not after now.
func (r *registry) popDue(now time.Time) []*entry {
	var due []*entry
	for len(r.expiry) > 0 && !r.expiry[0].deadline.After(now) {
		e := r.expiry[0]
		r.remove(e)
		due = append(due, e)
	}
	return due
}

// userEntries lists a user's entries.
func (r *registry) userEntries(userID string) []*entry {
	set := r.byUser[userID]
	out := make([]*entry, 0, len(set))
	for e := range set {
		out = append(out, e)
	}
	return out
}
