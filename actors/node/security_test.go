package node_test

import (
	"strings"
	"testing"
)

// TestTokensAreChecked: a request carrying a token that was never issued
// (garbage, or a well-formed JWT signed with another secret) is refused
// with Kuzzle's security.token.invalid before its action runs; without a
// token it runs as the anonymous user, whom the bootstrap roles allow
// everything.
func TestTokensAreChecked(t *testing.T) {
	c := storageClient(t)
	foreign := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJfaWQiOiJhZG1pbiIsImV4cCI6NDEwMjQ0NDgwMH0.c2lnbmVkLXdpdGgtYW5vdGhlci1zZWNyZXQ"
	for _, jwt := range []string{"garbage", foreign} {
		r := call(t, c, "index", "create", `"index":"guarded","jwt":"`+jwt+`"`)
		if errorID(r) != "security.token.invalid" || r.Status != 401 {
			t.Fatalf("token %.10s…: %s", jwt, r.raw)
		}
	}
	if r := call(t, c, "index", "exists", `"index":"guarded"`); r.Status != 200 || string(r.Result) != "false" {
		t.Fatalf("a refused request ran: %s", r.raw)
	}
	mustCall(t, c, "index", "create", `"index":"guarded"`)
	mustCall(t, c, "collection", "create", `"index":"guarded","collection":"c"`)
	r := mustCall(t, c, "document", "create", `"index":"guarded","collection":"c","body":{"a":1}`)
	if !strings.Contains(string(r.raw), `"author":"-1"`) {
		t.Fatalf("an anonymous write's author: %s", r.raw)
	}
}
