// Package etcdtest is for tests only: it runs throw-away etcd servers, one
// member each, so that tests of the cluster mode (cluster.provider "etcd")
// talk to a real etcd rather than to a stand-in.
//
// A Server is the etcd program (Debian's etcd-server package installs
// /usr/bin/etcd) started with its data directory in a new temporary
// directory and its client and peer URLs on free loopback ports; Start
// returns once its /health endpoint answers. Kill ends it as a crash
// would, keeping its data, and Restart brings it back on the same ports,
// for the tests of what the cluster does while etcd is away. etcd runs as
// root without complaint: unlike storetest's PostgreSQL, no other user is
// needed.
//
// Main starts one server for a test binary, and Run one for a test. When
// etcd is not installed, tests skip, saying so, unless
// STARLING_REQUIRE_ALL=1 makes them fail.
//
// No production code imports it. etcdtest imports the standard library
// only: it speaks to etcd over HTTP (/health), and the tests that need
// etcd's v3 API bring their own client (go.etcd.io/etcd/client/v3).
package etcdtest
