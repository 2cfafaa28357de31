package node

import (
	"context"
	"sync"

	"github.com/starlingmq/starling/internal/coherence"
	"github.com/starlingmq/starling/internal/controllers/documents"
	"github.com/starlingmq/starling/internal/security/repository"
	"github.com/starlingmq/starling/internal/security/token"
)

// Nodes sharing one PostgreSQL keep their in-memory copies of stored state
// in line (internal/coherence): each component emits what it changed in
// the store, the cluster transport broadcasts it, and every other node
// applies it with clusterChange. The copies are:
//
//   - the store's catalogue of indexes and collections (reads unknown
//     names through);
//   - the collections' specifications;
//   - the security repository's roles and profiles, and its users cache;
//   - the token manager's registry of live tokens and API keys (reads
//     stored tokens through).
//
// A change is visible on every other node after one broadcast; the
// read-through paths see it as soon as it is committed.

// maxQueuedChanges bounds the changes waiting for the transport; past it
// the component emitting one waits (a store write waits for the
// transport to catch up rather than a change being lost).
const maxQueuedChanges = 4096

// coherent is a component that emits its changes.
type coherent interface {
	SetEmitter(func(coherence.Change))
}

// emitChanges makes every component of the node hand its changes to send,
// in order, from one goroutine of its own (started when a change is
// queued, gone when none waits), so that a component never waits for the
// transport; send may block. nil stops emitting.
func (n *Node) emitChanges(send func(coherence.Change)) {
	var emit func(coherence.Change)
	if send != nil {
		emit = (&changeQueue{send: send, slots: make(chan struct{}, maxQueuedChanges)}).push
	}
	components := []coherent{n.specs, n.security.repo, n.security.tokens}
	if st, ok := n.store.(coherent); ok {
		components = append(components, st)
	}
	for _, c := range components {
		c.SetEmitter(emit)
	}
}

// clusterChange applies a change another node made, reading the store
// again where needed; it returns once the change is applied (bounded by
// askTimeout). Changes may arrive in any order and more than once: each
// one makes the node read the current state.
func (n *Node) clusterChange(c coherence.Change) {
	ctx, cancel := context.WithTimeout(context.Background(), askTimeout)
	defer cancel()
	var err error
	switch c.Kind {
	case coherence.Catalogue:
		if st, ok := n.store.(interface {
			Apply(context.Context, coherence.Change) error
		}); ok {
			err = st.Apply(ctx, c)
		}
	case coherence.Specification:
		err = documents.ReloadSpecification(ctx, n.store, n.specs, c.Key, c.Sub)
	case coherence.Definitions, coherence.User:
		err = n.security.repo.Apply(ctx, c)
	case coherence.TokenRevoked, coherence.UserTokensRevoked, coherence.TokenChanged:
		n.security.tokens.Apply(c)
	default:
		n.log.Warn("a change of an unknown kind from another node", "change", c.String())
		return
	}
	if err != nil {
		n.log.Error("a change from another node was not applied", "change", c.String(), "error", err)
	}
}

// changeQueue hands changes to send in order from one goroutine, which
// runs while changes wait.
type changeQueue struct {
	send    func(coherence.Change)
	slots   chan struct{} // one per queued change: push waits when full
	mu      sync.Mutex
	pending []coherence.Change
	running bool
}

// push queues c, waiting while maxQueuedChanges wait already.
func (q *changeQueue) push(c coherence.Change) {
	q.slots <- struct{}{}
	q.mu.Lock()
	q.pending = append(q.pending, c)
	start := !q.running
	q.running = true
	q.mu.Unlock()
	if start {
		go q.drain()
	}
}

// drain sends the queued changes until none waits.
func (q *changeQueue) drain() {
	for {
		q.mu.Lock()
		if len(q.pending) == 0 {
			q.running = false
			q.pending = nil
			q.mu.Unlock()
			return
		}
		c := q.pending[0]
		q.pending = q.pending[1:]
		q.mu.Unlock()
		<-q.slots
		q.send(c)
	}
}

// lookupToken reads a stored token for the token manager's read-through
// (token.Options.Lookup).
func lookupToken(repo *repository.Repository) func(string) (token.Token, bool, error) {
	return func(fingerprint string) (token.Token, bool, error) {
		ctx, cancel := context.WithTimeout(context.Background(), askTimeout)
		defer cancel()
		s, found, err := repo.StoredTokenOf(ctx, fingerprint)
		if err != nil || !found {
			return token.Token{}, false, err
		}
		return tokenOf(s), true, nil
	}
}
