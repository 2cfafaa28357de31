package node_test

import (
	"strings"
	"testing"

	"github.com/starlingmq/starling/internal/config"
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

// TestAuthAsAnonymous: the auth controller's answers for a client without
// a token, as Kuzzle gives them.
func TestAuthAsAnonymous(t *testing.T) {
	c := storageClient(t)
	r := mustCall(t, c, "auth", "getCurrentUser", "")
	if want := `{"_id":"-1","_source":{"name":"Anonymous","profileIds":["anonymous"]},"strategies":[]}`; string(r.Result) != want {
		t.Errorf("getCurrentUser: %s, want %s", r.Result, want)
	}
	r = mustCall(t, c, "auth", "checkToken", `"body":{"token":"garbage"}`)
	if want := `{"state":"Invalid token.","valid":false}`; string(r.Result) != want {
		t.Errorf("checkToken of garbage: %s, want %s", r.Result, want)
	}
	r = mustCall(t, c, "auth", "checkToken", `"body":{}`)
	if want := `{"expiresAt":-1,"kuid":"-1","valid":true}`; string(r.Result) != want {
		t.Errorf("checkToken without a token: %s, want %s", r.Result, want)
	}
	if r := call(t, c, "auth", "logout", ""); errorID(r) != "security.rights.unauthorized" || r.Status != 401 {
		t.Errorf("logout as anonymous: %s", r.raw)
	}
	if r := call(t, c, "auth", "login", `"strategy":"nope","body":{}`); errorID(r) != "security.credentials.unknown_strategy" {
		t.Errorf("login with an unknown strategy: %s", r.raw)
	}
	r = mustCall(t, c, "auth", "getMyRights", "")
	if !strings.Contains(string(r.Result), `{"action":"*","collection":"*","controller":"*","index":"*","value":"allowed"}`) {
		t.Errorf("getMyRights: %s", r.Result)
	}
}

// TestMQTTConnectCredentials: CONNECT without credentials is anonymous,
// refused once authentication is required; a bad token or unknown user
// name is refused with "bad user name or password".
func TestMQTTConnectCredentials(t *testing.T) {
	str := func(s string) *string { return &s }
	open := startServer(t, nil)
	strict := startServer(t, func(c *config.Config) { c.Server.MQTT.RequireAuthentication = true })
	for _, c := range []struct {
		name       string
		addr       string
		user, pass *string
		v3, v5     byte
	}{
		{"anonymous", open.addr, nil, nil, 0, 0},
		{"anonymous, authentication required", strict.addr, nil, nil, 0x05, 0x87},
		{"garbage token", open.addr, str("jwt"), str("garbage"), 0x04, 0x86},
		{"unknown user", strict.addr, str("nobody"), str("secret"), 0x04, 0x86},
	} {
		for version, want := range map[byte]byte{4: c.v3, 5: c.v5} {
			w := dialWire(t, c.addr, version)
			if got := w.connect(connectOptions{username: c.user, password: c.pass}).code(); got != want {
				t.Errorf("%s, MQTT %d: CONNACK %#x, want %#x", c.name, version, got, want)
			}
		}
	}
}

// TestMQTTLoginFlood: CONNECTs with passwords arriving faster than the
// server hashes them are refused with "server busy" past the waiting bound
// instead of queueing without end, every one is answered, and the server
// keeps serving requests meanwhile.
func TestMQTTLoginFlood(t *testing.T) {
	srv := startServer(t, nil)
	bystander := dialWire(t, srv.addr, 4)
	bystander.mustConnect(connectOptions{})
	const flood = 100
	user, pass := "nobody", "not a password"
	wires := make([]*wire, flood)
	for i := range wires {
		wires[i] = dialWire(t, srv.addr, byte(4+i%2))
	}
	for _, w := range wires {
		w.send(w.connectFrame(connectOptions{username: &user, password: &pass}))
	}
	if r := bystander.request(`{"controller":"server","action":"now","requestId":"r"}`); r.Status != 200 {
		t.Fatalf("server:now during the flood: %d %s", r.Status, r.raw)
	}
	busy, bad := 0, 0
	for i, w := range wires {
		ack := w.next()
		switch code := ack.code(); {
		case ack.kind != pkConnack:
			t.Fatalf("CONNECT %d: packet %#x, want CONNACK", i, ack.kind)
		case code == 0x03 || code == 0x89:
			busy++
		case code == 0x04 || code == 0x86:
			bad++
		default:
			t.Fatalf("CONNECT %d: CONNACK %#x", i, code)
		}
	}
	if busy == 0 || bad == 0 {
		t.Fatalf("%d CONNECTs refused as busy, %d for bad credentials: want both", busy, bad)
	}
}
