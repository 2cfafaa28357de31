// Package coherence is the vocabulary nodes sharing one database use to keep
// their in-memory copies of stored state in line: a Change names what a
// node changed in the store (the catalogue of indexes and collections, a
// collection's specification, roles and profiles, a user, a revoked token),
// never the new value, so that each receiver reads the store again.
//
// Every component that keeps stored state in memory has two halves:
//
//   - after a change of its own succeeds in the store, it emits the Change
//     through its Emitter (nothing is emitted while no send function is
//     set: one node alone);
//   - an Apply entry point brings its memory back in line with the store for
//     a Change received from another node. Apply never emits.
//
// The delay bound: a change made through one node is visible on every
// other node once its Change was broadcast and applied there, that is
// after the cluster transport's latency plus one read of the store. Some
// paths do not wait for the broadcast at all (read-through): an index or
// collection unknown in memory is looked up in the database before being
// answered as missing, and a well-signed token unknown to the local
// registry is looked up in the stored tokens before being refused; they
// see a change as soon as it is committed. Each component's doc comment
// says which of its paths read through and how their cost is bounded.
//
// Changes travel as bytes (Marshal, Unmarshal) so that the transport needs
// to know nothing of them.
//
// coherence imports internal/jsonx only.
package coherence
