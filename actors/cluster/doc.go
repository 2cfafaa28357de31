// Package cluster makes a Starling node a member of a cluster of nodes,
// through protoactor's cluster: its membership providers find the nodes
// (seeds: protoactor's automanaged provider, every node polling a static
// list of membership endpoints over HTTP; etcd: registrations with a
// lease in etcd), its remoting (gRPC) carries the messages between the
// actors of different nodes.
//
// The package owns the membership: it tells the node, at every change,
// which nodes are alive (Membership), and it carries the cluster-wide
// events one node broadcasts for the others to apply (Event: a stored
// definition changed, a token was revoked). What the nodes say to each
// other about rooms and notifications belongs to actors/realtime, whose
// actors other nodes address directly.
//
// A node that stops answering leaves the others' membership at the first
// poll it fails (seeds: a refused connection, or no answer within 2 s) or
// when its 3-second lease ends (etcd); protoactor then blocks its member id for good, so a node cut off
// by a network partition stays out after it heals, serving its own
// clients alone, until it restarts (and joins again under a new id).
//
// cluster imports internal/config only.
package cluster
