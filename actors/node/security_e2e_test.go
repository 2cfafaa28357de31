package node_test

import (
	"strings"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/jsonx"
)

// loginResult is auth:login's result.
type loginResult struct {
	ID        string `json:"_id"`
	JWT       string `json:"jwt"`
	ExpiresAt int64  `json:"expiresAt"`
	TTL       int64  `json:"ttl"`
}

// createUser creates a user with local credentials and profiles.
func createUser(t *testing.T, c client, id, profiles, username, password string) {
	t.Helper()
	mustCall(t, c, "security", "createUser", `"_id":"`+id+`","body":{"content":{"profileIds":`+profiles+`},"credentials":{"local":{"username":"`+username+`","password":"`+password+`"}}}`)
}

// login logs username in and returns the token.
func login(t *testing.T, c client, username, password, extra string) loginResult {
	t.Helper()
	r := mustCall(t, c, "auth", "login", `"strategy":"local","body":{"username":"`+username+`","password":"`+password+`"}`+extra)
	var l loginResult
	if err := jsonx.Unmarshal(r.Result, &l); err != nil || l.JWT == "" {
		t.Fatalf("login: %s", r.raw)
	}
	return l
}

// securityServer starts a server whose connections may log in 100 times
// a second (Kuzzle's default is once), changed by mutate, and connects a
// client subscribed to the response topic.
func securityServer(t *testing.T, mutate func(*config.Config)) (*testServer, client) {
	t.Helper()
	srv := startServer(t, func(c *config.Config) {
		c.Limits.LoginsPerSecond = 100
		if mutate != nil {
			mutate(c)
		}
	})
	c := connect3(t, srv.addr)
	if code := c.subscribe("Kuzzle/response"); code != 0 {
		t.Fatalf("subscribe to the response topic: code %#x", code)
	}
	return srv, c
}

func TestLoginAndIdentity(t *testing.T) {
	srv, c := securityServer(t, nil)
	createUser(t, c, "ann", `["default"]`, "ann", "correct horse battery")
	if r := call(t, c, "auth", "login", `"strategy":"local","body":{"username":"ann","password":"wrong"}`); errorID(r) != "plugin.strategy.missing_user" {
		t.Fatalf("wrong password: %s", r.raw)
	}
	l := login(t, c, "ann", "correct horse battery", "")
	if l.ID != "ann" || l.TTL != 3_600_000 || l.ExpiresAt <= 0 {
		t.Fatalf("login result: %+v", l)
	}
	jwt := `"jwt":"` + l.JWT + `"`
	r := mustCall(t, c, "auth", "getCurrentUser", jwt)
	if !strings.Contains(string(r.Result), `"_id":"ann"`) || !strings.Contains(string(r.Result), `"strategies":["local"]`) {
		t.Fatalf("getCurrentUser: %s", r.Result)
	}
	r = mustCall(t, c, "auth", "checkToken", `"body":{"token":"`+l.JWT+`"}`)
	if !strings.Contains(string(r.Result), `"kuid":"ann","valid":true`) {
		t.Fatalf("checkToken: %s", r.Result)
	}
	mustCall(t, c, "index", "create", `"index":"idx"`)
	mustCall(t, c, "collection", "create", `"index":"idx","collection":"c"`)
	r = mustCall(t, c, "document", "create", `"index":"idx","collection":"c","body":{"a":1},`+jwt)
	if !strings.Contains(string(r.raw), `"author":"ann"`) {
		t.Fatalf("the author of ann's write: %s", r.raw)
	}
	// MQTT credentials: a user name and password, or the token.
	pass, user, tokenUser := "correct horse battery", "ann", "jwt"
	for _, o := range []connectOptions{{username: &user, password: &pass}, {username: &tokenUser, password: &l.JWT}} {
		w := dialWire(t, srv.addr, 4)
		w.mustConnect(o)
		if r := w.request(`{"controller":"auth","action":"getCurrentUser"}`); !strings.Contains(string(r.raw), `"_id":"ann"`) {
			t.Fatalf("a request of a connection logged in as %s: %s", *o.username, r.raw)
		}
	}
	mustCall(t, c, "auth", "logout", jwt)
	if r := call(t, c, "auth", "getCurrentUser", jwt); errorID(r) != "security.token.invalid" {
		t.Fatalf("a logged-out token: %s", r.raw)
	}
}

// restrictedSecurity restricts the anonymous user as Kuzzle's
// security.standard does, and creates a reader restricted to shop/items,
// an admin and their users; it returns their tokens.
func restrictedSecurity(t *testing.T, c client) (rita, root string) {
	t.Helper()
	mustCall(t, c, "security", "createRole", `"_id":"reader","body":{"controllers":{"document":{"actions":{"get":true,"search":true}},"realtime":{"actions":{"subscribe":true,"join":true,"list":true,"unsubscribe":true}},"auth":{"actions":{"*":true}}}}`)
	mustCall(t, c, "security", "createProfile", `"_id":"readers","body":{"policies":[{"roleId":"reader","restrictedTo":[{"index":"shop","collections":["items"]}]}]}`)
	createUser(t, c, "rita", `["readers"]`, "rita", "rita's password")
	createUser(t, c, "root", `["admin"]`, "root", "root's password")
	rita, root = login(t, c, "rita", "rita's password", "").JWT, login(t, c, "root", "root's password", "").JWT
	for _, col := range []string{"items", "secret"} {
		mustCall(t, c, "collection", "create", `"index":"shop","collection":"`+col+`","jwt":"`+root+`"`)
	}
	mustCall(t, c, "security", "createOrReplaceRole", `"_id":"anonymous","jwt":"`+root+`","body":{"controllers":{"auth":{"actions":{"login":true,"checkToken":true,"getCurrentUser":true,"getMyRights":true,"getStrategies":true}},"server":{"actions":{"now":true}}}}`)
	return rita, root
}

func TestRightsMatrix(t *testing.T) {
	_, c := securityServer(t, nil)
	rita, root := restrictedSecurity(t, c)
	search := func(col string) string {
		return `"controller":"document","action":"search","index":"shop","collection":"` + col + `","body":{}`
	}
	subscribe := func(col string) string {
		return `"controller":"realtime","action":"subscribe","index":"shop","collection":"` + col + `","body":{}`
	}
	const create = `"controller":"document","action":"create","index":"shop","collection":"items","body":{"a":1}`
	const publish = `"controller":"realtime","action":"publish","index":"shop","collection":"items","body":{"a":1}`
	const info = `"controller":"server","action":"info"`
	const now = `"controller":"server","action":"now"`
	for _, c2 := range []struct {
		who, jwt, request, want string
	}{
		{"anonymous", "", now, ""},
		{"anonymous", "", search("items"), "security.rights.unauthorized"},
		{"anonymous", "", subscribe("items"), "security.rights.unauthorized"},
		{"anonymous", "", publish, "security.rights.unauthorized"},
		{"anonymous", "", info, "security.rights.unauthorized"},
		{"rita", rita, search("items"), ""},
		{"rita", rita, search("secret"), "security.rights.forbidden"},
		{"rita", rita, subscribe("items"), ""},
		{"rita", rita, subscribe("secret"), "security.rights.forbidden"},
		{"rita", rita, create, "security.rights.forbidden"},
		{"rita", rita, publish, "security.rights.forbidden"},
		{"rita", rita, info, "security.rights.forbidden"},
		{"root", root, search("secret"), ""},
		{"root", root, create, ""},
		{"root", root, publish, ""},
		{"root", root, info, ""},
	} {
		payload := "{" + c2.request
		if c2.jwt != "" {
			payload += `,"jwt":"` + c2.jwt + `"`
		}
		r := request(t, c, payload+"}")
		if got := errorID(r); got != c2.want {
			t.Errorf("%s, %s: %s, want %q", c2.who, c2.request, r.raw, c2.want)
		}
	}
}

// TestSubscriptionAttack: a user without rights on a collection cannot see
// its rooms, join them, listen to their channel or forge notifications on
// it; its owner can.
func TestSubscriptionAttack(t *testing.T) {
	srv, c := securityServer(t, nil)
	rita, root := restrictedSecurity(t, c)
	owner := connect3(t, srv.addr)
	if code := owner.subscribe("Kuzzle/response"); code != 0 {
		t.Fatal("subscribe to responses")
	}
	r := mustCall(t, owner, "realtime", "subscribe", `"index":"shop","collection":"secret","body":{},"jwt":"`+root+`"`)
	var s sub
	if err := jsonx.Unmarshal(r.Result, &s); err != nil {
		t.Fatal(err)
	}
	if code := owner.subscribe(s.Channel); code != 0 {
		t.Fatalf("the owner's MQTT subscription: %#x", code)
	}
	attacker := connect3(t, srv.addr)
	if code := attacker.subscribe("Kuzzle/response"); code != 0 {
		t.Fatal("subscribe to responses")
	}
	if r := mustCall(t, attacker, "realtime", "list", `"jwt":"`+rita+`"`); strings.Contains(string(r.Result), "secret") {
		t.Fatalf("realtime:list shows a collection rita may not subscribe to: %s", r.Result)
	}
	if r := call(t, attacker, "realtime", "join", `"body":{"roomId":"`+s.RoomID+`"},"jwt":"`+rita+`"`); errorID(r) != "security.rights.forbidden" {
		t.Fatalf("join of a forbidden room: %s", r.raw)
	}
	if code := attacker.subscribe(s.Channel); code != 0x80 {
		t.Fatalf("an MQTT subscription to a channel never granted: %#x", code)
	}
	if r := call(t, attacker, "realtime", "publish", `"index":"shop","collection":"secret","body":{"forged":true},"jwt":"`+rita+`"`); errorID(r) != "security.rights.forbidden" {
		t.Fatalf("a forged publish: %s", r.raw)
	}
	mustCall(t, c, "realtime", "publish", `"index":"shop","collection":"secret","body":{"real":true},"jwt":"`+root+`"`)
	n := nextNotification(t, owner, s.Channel)
	if !strings.Contains(string(n.raw), `"real":true`) || !strings.Contains(string(n.raw), `"author":"root"`) {
		t.Fatalf("the owner's notification: %s", n.raw)
	}
}

// TestTokenExpiryEndsSubscriptions: when a token expires, the connection
// that subscribed with it gets Kuzzle's TokenExpired notification and its
// subscription is gone.
func TestTokenExpiryEndsSubscriptions(t *testing.T) {
	srv, c := securityServer(t, nil)
	_, root := restrictedSecurity(t, c)
	// The JWT's exp counts whole seconds: "3s" lives at least two.
	short := login(t, c, "rita", "rita's password", `,"expiresIn":"3s"`)
	w := dialWire(t, srv.addr, 4)
	w.mustConnect(connectOptions{})
	r := w.request(`{"controller":"realtime","action":"subscribe","index":"shop","collection":"items","body":{},"jwt":"` + short.JWT + `"}`)
	var s sub
	if err := jsonx.Unmarshal(r.Result, &s); err != nil || s.RoomID == "" {
		t.Fatalf("subscribe: %s", r.raw)
	}
	topic, payload := w.publishOf(w.nextOf(pkPublish))
	if topic != "kuzzle:notification:server" || !strings.Contains(string(payload), `"type":"TokenExpired"`) || !strings.Contains(string(payload), `"message":"Authentication Token Expired"`) {
		t.Fatalf("after the token expired: %s %s", topic, payload)
	}
	r = mustCall(t, c, "realtime", "count", `"body":{"roomId":"`+s.RoomID+`"},"jwt":"`+root+`"`)
	if !strings.Contains(string(r.Result), `"count":0`) {
		t.Fatalf("the expired subscription is still counted: %s", r.Result)
	}
}

// TestRateLimits: one login a second per connection by default, and a
// profile's rateLimit per user and second; auth:logout is never limited.
func TestRateLimits(t *testing.T) {
	_, c := securityServer(t, func(c *config.Config) { c.Limits.LoginsPerSecond = 1 })
	mustCall(t, c, "security", "createProfile", `"_id":"slow","body":{"policies":[{"roleId":"default"}],"rateLimit":2}`)
	createUser(t, c, "sam", `["slow"]`, "sam", "sam's password")
	var refused int
	var jwt string
	for range 5 { // 5 logins take well under 4 seconds: at most 4 frames
		r := call(t, c, "auth", "login", `"strategy":"local","body":{"username":"sam","password":"sam's password"}`)
		switch errorID(r) {
		case "":
			var l loginResult
			_ = jsonx.Unmarshal(r.Result, &l)
			jwt = l.JWT
		case "api.process.too_many_logins_requests":
			refused++
		default:
			t.Fatalf("login: %s", r.raw)
		}
	}
	if refused == 0 || jwt == "" {
		t.Fatalf("%d of 5 logins refused", refused)
	}
	refused = 0
	for range 10 {
		r := call(t, c, "server", "now", `"jwt":"`+jwt+`"`)
		switch errorID(r) {
		case "":
		case "api.process.too_many_requests":
			refused++
		default:
			t.Fatalf("server:now: %s", r.raw)
		}
	}
	if refused == 0 {
		t.Fatal("10 requests of a user limited to 2 a second all ran")
	}
	mustCall(t, c, "auth", "logout", `"jwt":"`+jwt+`"`)
}

// TestRevocationOnEveryConnection: security:revokeTokens ends a user's
// token at once on every connection using it — one sending it in its
// requests, one logged in with it at CONNECT — and the subscriptions made
// with it (silently, as Kuzzle's revocation); a refreshed token replaces
// the old one; a wrong password at CONNECT is refused.
func TestRevocationOnEveryConnection(t *testing.T) {
	srv, c := securityServer(t, nil)
	_, root := restrictedSecurity(t, c)
	l := login(t, c, "rita", "rita's password", "")
	refreshed := mustCall(t, c, "auth", "refreshToken", `"jwt":"`+l.JWT+`"`)
	var r2 loginResult
	if err := jsonx.Unmarshal(refreshed.Result, &r2); err != nil || r2.JWT == "" || r2.JWT == l.JWT || r2.ID != "rita" {
		t.Fatalf("refreshToken: %s", refreshed.raw)
	}
	jwtUser, wrong, ritaName := "jwt", "not rita's password", "rita"
	w := dialWire(t, srv.addr, 4)
	if code := w.connect(connectOptions{username: &ritaName, password: &wrong}).code(); code != 0x04 {
		t.Fatalf("a wrong password at CONNECT: %#x", code)
	}
	w = dialWire(t, srv.addr, 4)
	w.mustConnect(connectOptions{username: &jwtUser, password: &r2.JWT})
	r := w.request(`{"controller":"realtime","action":"subscribe","index":"shop","collection":"items","body":{}}`)
	var s sub
	if err := jsonx.Unmarshal(r.Result, &s); err != nil || s.RoomID == "" {
		t.Fatalf("subscribe as rita at CONNECT: %s", r.raw)
	}
	other := connect3(t, srv.addr)
	if code := other.subscribe("Kuzzle/response"); code != 0 {
		t.Fatal("subscribe to responses")
	}
	mustCall(t, other, "auth", "getCurrentUser", `"jwt":"`+r2.JWT+`"`)
	mustCall(t, c, "security", "revokeTokens", `"_id":"rita","jwt":"`+root+`"`)
	// The connection leaves its rooms once told, a moment after the
	// revocation's answer.
	deadline := time.Now().Add(wait)
	for {
		r := mustCall(t, c, "realtime", "count", `"body":{"roomId":"`+s.RoomID+`"},"jwt":"`+root+`"`)
		if strings.Contains(string(r.Result), `"count":0`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the revoked token's subscription is still counted: %s", r.Result)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if r := w.request(`{"controller":"auth","action":"getCurrentUser"}`); r.Error == nil || r.Error.ID != "security.token.invalid" {
		t.Fatalf("the CONNECT connection after revokeTokens: %s", r.raw)
	}
	if r := call(t, other, "auth", "getCurrentUser", `"jwt":"`+r2.JWT+`"`); errorID(r) != "security.token.invalid" {
		t.Fatalf("the token in a request after revokeTokens: %s", r.raw)
	}
}

// TestChannelSubscriptionWithCredentials: a client that only MQTT-subscribes
// to a channel (as mosquitto_sub does) gets its notifications when the user
// it logged in as at CONNECT may subscribe to the room, and a SUBACK failure
// when not.
func TestChannelSubscriptionWithCredentials(t *testing.T) {
	srv, c := securityServer(t, nil)
	_, root := restrictedSecurity(t, c)
	var channels [2]sub
	for i, col := range []string{"items", "secret"} {
		r := mustCall(t, c, "realtime", "subscribe", `"index":"shop","collection":"`+col+`","body":{},"scope":"in","jwt":"`+root+`"`)
		if err := jsonx.Unmarshal(r.Result, &channels[i]); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		user, pass string
		items      byte // SUBACK code on the items channel
		secret     byte // and on the secret one
	}{
		{"rita", "rita's password", 0, 0x80},
		{"root", "root's password", 0, 0},
		{"", "", 0x80, 0x80}, // anonymous may not subscribe at all
	} {
		w := dialWire(t, srv.addr, 4)
		o := connectOptions{}
		if tt.user != "" {
			o.username, o.password = &tt.user, &tt.pass
		}
		w.mustConnect(o)
		if got := w.subscribe(channels[0].Channel); got != tt.items {
			t.Errorf("%q on the items channel: SUBACK %#x, want %#x", tt.user, got, tt.items)
		}
		if got := w.subscribe(channels[1].Channel); got != tt.secret {
			t.Errorf("%q on the secret channel: SUBACK %#x, want %#x", tt.user, got, tt.secret)
		}
		if tt.items != 0 {
			continue
		}
		mustCall(t, c, "realtime", "publish", `"index":"shop","collection":"items","body":{"for":"`+tt.user+`"},"jwt":"`+root+`"`)
		p := w.nextOf(pkPublish)
		if topic, payload := w.publishOf(p); topic != channels[0].Channel || !strings.Contains(string(payload), `"for":"`+tt.user+`"`) {
			t.Errorf("%q's notification on %s: %s", tt.user, topic, payload)
		}
	}
}
