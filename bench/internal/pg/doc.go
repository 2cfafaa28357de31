// Package pg starts a throw-away PostgreSQL cluster for the load harness:
// initdb in a new temporary directory, pg_ctl start with a unix socket
// there and no TCP listener, the postmaster's process id for its CPU time,
// and a stop that removes everything. When the harness runs as root, the
// cluster runs as the postgres system user (PostgreSQL refuses root).
//
// It is the harness's own copy of what internal/store/storetest does for
// the tests: bench links none of the server's packages. Its settings are
// PostgreSQL's defaults (fsync and synchronous commits on), as a
// benchmark of durable writes needs, where storetest turns them off.
//
// pg imports nothing of Starling's.
package pg
