// Package node assembles a running Starling server: the actor system, the
// request dispatcher, the connection registry, the API controllers and the
// MQTT listener, and takes them down in order on Shutdown.
//
// Nodes sharing one PostgreSQL keep their in-memory copies of stored state
// (the store's catalogue, specifications, roles, profiles, users, live
// tokens) in line through internal/coherence changes: emitChanges hands
// every component's changes to the cluster transport, clusterChange
// applies another node's (coherence.go). A change is visible on every
// node within one broadcast; unknown collections and tokens are read
// through from the database at once.
//
// node imports the other actor packages, internal/* and wasmhost; nothing
// imports it but cmd/starling and tests.
package node
