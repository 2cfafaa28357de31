// Package cluster makes a Starling node a member of a cluster of nodes,
// through protoactor's cluster: a membership provider finds the nodes
// (seeds, this package's provider of a static list: every node serves its
// member over HTTP and polls every seed; etcd, protoactor's: registrations
// with a lease in etcd), protoactor's remoting (gRPC) carries the messages
// between the actors of different nodes, and its member list tells who is
// alive.
//
// The package owns the membership: it tells the node, at every change,
// which nodes are alive (Membership), and it carries the cluster-wide
// events one node broadcasts for the others to apply (Event: a stored
// definition changed, a token was revoked). What the nodes say to each
// other about rooms and notifications belongs to actors/realtime, whose
// actors other nodes address directly.
//
// A node that stops answering leaves the others' membership after three
// polls in a row that it fails (seeds: a refused connection, or no answer
// within a heartbeat, 1 s at least) or when its 3-second lease ends
// (etcd); protoactor then blocks its member id for good, so a node cut off
// by a network partition stays out after it heals, serving its own
// clients alone, until it restarts (and joins again under a new id).
//
// cluster imports internal/config and internal/jsonx only.
package cluster
