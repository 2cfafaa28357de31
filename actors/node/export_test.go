package node

import "github.com/starlingmq/starling/internal/coherence"

// Wire makes a and b apply each other's changes, as the cluster transport
// will: each node's emitted changes go to the other's clusterChange.
func Wire(a, b *Node) {
	a.emitChanges(func(c coherence.Change) { b.clusterChange(c) })
	b.emitChanges(func(c coherence.Change) { a.clusterChange(c) })
}
