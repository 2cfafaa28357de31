package node_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/starlingmq/starling/actors/node"
	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/store/storetest"
)

// twoNodes starts two nodes on one PostgreSQL database, wired to apply
// each other's changes, and connects a client to each.
func twoNodes(t *testing.T) (c1, c2 client) {
	t.Helper()
	url := storetest.Database(t, pg)
	shared := func(c *config.Config) {
		c.Storage.Engine, c.Storage.Postgres.URL = "postgres", url
		c.Limits.LoginsPerSecond = 100
	}
	n1, n2 := startServer(t, shared), startServer(t, shared)
	node.Wire(n1.node, n2.node)
	return responseClient(t, n1), responseClient(t, n2)
}

// eventually polls cond until it holds, failing t after wait.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTwoNodesShareTheCatalogue creates an index and a collection through
// one node and uses them through the other at once, then checks that a
// listing, a mapping update and specifications reach the other node.
func TestTwoNodesShareTheCatalogue(t *testing.T) {
	c1, c2 := twoNodes(t)
	shareTheCatalogue(t, c1, c2)
}

func shareTheCatalogue(t *testing.T, c1, c2 client) {
	mustCall(t, c1, "index", "create", `"index":"shop"`)
	mustCall(t, c1, "collection", "create", `"index":"shop","collection":"items","body":{"properties":{"name":{"type":"keyword"}}}`)
	mustCall(t, c2, "document", "create", `"index":"shop","collection":"items","_id":"a","body":{"name":"pen"}`)
	r := mustCall(t, c1, "document", "get", `"index":"shop","collection":"items","_id":"a"`)
	if !strings.Contains(string(r.Result), `"pen"`) {
		t.Fatalf("node 1 reads node 2's document: %s", r.raw)
	}
	mustCall(t, c1, "index", "create", `"index":"empty"`)
	eventually(t, "node 2 lists the index node 1 created", func() bool {
		return strings.Contains(string(mustCall(t, c2, "index", "list", ``).Result), `"empty"`)
	})
	mustCall(t, c1, "collection", "updateMapping", `"index":"shop","collection":"items","body":{"properties":{"price":{"type":"integer"}}}`)
	eventually(t, "node 2 sees the new mapping", func() bool {
		r := mustCall(t, c2, "collection", "getMapping", `"index":"shop","collection":"items"`)
		return strings.Contains(string(r.Result), `"price":{"type":"integer"}`)
	})
	mustCall(t, c1, "collection", "updateSpecifications", `"index":"shop","collection":"items","body":{"strict":true,"fields":{"name":{"type":"string"},"price":{"type":"integer"}}}`)
	eventually(t, "node 2 applies node 1's specifications", func() bool {
		r := call(t, c2, "document", "create", `"index":"shop","collection":"items","body":{"name":"ink","colour":"blue"}`)
		return errorID(r) == "validation.check.failed_document"
	})
	mustCall(t, c1, "collection", "delete", `"index":"shop","collection":"items"`)
	eventually(t, "node 2 forgets the deleted collection", func() bool {
		r := call(t, c2, "collection", "exists", `"index":"shop","collection":"items"`)
		return string(r.Result) == "false"
	})
}

// TestTwoNodesShareSecurity logs in through one node and uses the token
// through the other at once, then checks that a logout and the deletion
// of a user through one node refuse their tokens on the other.
func TestTwoNodesShareSecurity(t *testing.T) {
	c1, c2 := twoNodes(t)
	shareSecurity(t, c1, c2)
}

func shareSecurity(t *testing.T, c1, c2 client) {
	createUser(t, c1, "ann", `["default"]`, "ann", "correct horse battery")
	jwt := login(t, c1, "ann", "correct horse battery", "").JWT
	if who := whoAmI(t, c2, jwt); who != "ann" {
		t.Fatalf("node 2 with node 1's token: %s", who)
	}
	mustCall(t, c1, "auth", "logout", `"jwt":"`+jwt+`"`)
	eventually(t, "node 2 refuses the token logged out on node 1", func() bool {
		return whoAmI(t, c2, jwt) == "security.token.invalid"
	})

	createUser(t, c2, "bob", `["default"]`, "bob", "bob's long password")
	jwt = login(t, c2, "bob", "bob's long password", "").JWT
	if who := whoAmI(t, c1, jwt); who != "bob" {
		t.Fatalf("node 1 with node 2's token: %s", who)
	}
	mustCall(t, c1, "security", "deleteUser", `"_id":"bob"`)
	eventually(t, "node 2 refuses the token of the user deleted on node 1", func() bool {
		return whoAmI(t, c2, jwt) == "security.token.invalid"
	})
	eventually(t, "node 2 forgets the deleted user", func() bool {
		return errorID(call(t, c2, "security", "getUser", `"_id":"bob"`)) == "security.user.not_found"
	})
}

// TestNodesStartTogetherOnAnEmptyDatabase starts three nodes at once on
// one new PostgreSQL database: each creates the schema and the built-in
// security definitions if nobody did, and they end up with one token
// secret.
func TestNodesStartTogetherOnAnEmptyDatabase(t *testing.T) {
	url := storetest.Database(t, pg)
	servers := make([]*testServer, 3)
	var wg sync.WaitGroup
	for i := range servers {
		wg.Go(func() {
			servers[i] = startServer(t, func(cfg *config.Config) {
				cfg.Storage.Engine, cfg.Storage.Postgres.URL = "postgres", url
			})
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	c1, c2 := responseClient(t, servers[0]), responseClient(t, servers[2])
	createUser(t, c1, "ann", `["default"]`, "ann", "correct horse battery")
	jwt := login(t, c1, "ann", "correct horse battery", "").JWT
	if who := whoAmI(t, c2, jwt); who != "ann" {
		t.Fatalf("another node with the first node's token: %s", who)
	}
}
