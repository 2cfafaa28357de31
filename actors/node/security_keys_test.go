package node_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/starlingmq/starling/actors/node"
	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/jsonx"
)

// restartable is a node on a storage directory that outlives it.
type restartable struct {
	dir  string
	srv  *testServer
	stop func()
}

// startOn starts a node storing in dir; it is shut down by stop or with
// the test.
func startOn(t *testing.T, dir string) *restartable {
	t.Helper()
	cfg, err := config.Load(config.Sources{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Server.MQTT.Host = "127.0.0.1"
	cfg.Server.MQTT.Port = 0
	cfg.Server.Host, cfg.Server.Port = "127.0.0.1", 0
	cfg.Storage.Path = dir
	cfg.Limits.LoginsPerSecond = 100 // several logins a second from one connection
	n, err := node.Start(node.Options{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			if err := n.Shutdown(ctx); err != nil {
				t.Errorf("shutdown: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return &restartable{dir: dir, srv: &testServer{node: n, addr: n.MQTTAddr().String()}, stop: stop}
}

// restart stops the node and starts another on the same directory.
func (r *restartable) restart(t *testing.T) *restartable {
	t.Helper()
	r.stop()
	return startOn(t, r.dir)
}

// client connects a client subscribed to the response topic.
func (r *restartable) client(t *testing.T) client {
	t.Helper()
	c := connect3(t, r.srv.addr)
	if code := c.subscribe("Kuzzle/response"); code != 0 {
		t.Fatalf("subscribe to the response topic: code %#x", code)
	}
	return c
}

// apiKeyResult is createApiKey's result.
type apiKeyResult struct {
	ID     string `json:"_id"`
	Source struct {
		UserID      string `json:"userId"`
		Description string `json:"description"`
		ExpiresAt   int64  `json:"expiresAt"`
		TTL         int64  `json:"ttl"`
		Fingerprint string `json:"fingerprint"`
		Token       string `json:"token"`
	} `json:"_source"`
}

func createKey(t *testing.T, c client, extra string) apiKeyResult {
	t.Helper()
	r := mustCall(t, c, "auth", "createApiKey", extra)
	var k apiKeyResult
	if err := jsonx.Unmarshal(r.Result, &k); err != nil || k.Source.Token == "" {
		t.Fatalf("createApiKey: %s", r.raw)
	}
	return k
}

// whoAmI is the kuid getCurrentUser answers for jwt, or the error id.
func whoAmI(t *testing.T, c client, jwt string) string {
	t.Helper()
	r := call(t, c, "auth", "getCurrentUser", `"jwt":"`+jwt+`"`)
	if id := errorID(r); id != "" {
		return id
	}
	var u struct {
		ID string `json:"_id"`
	}
	_ = jsonx.Unmarshal(r.Result, &u)
	return u.ID
}

func TestTokensAndAPIKeysSurviveARestart(t *testing.T) {
	r := startOn(t, t.TempDir())
	c := r.client(t)
	createUser(t, c, "ann", `["default"]`, "ann", "correct horse battery")
	kept := login(t, c, "ann", "correct horse battery", "")
	loggedOut := login(t, c, "ann", "correct horse battery", "")
	jwt := `,"jwt":"` + kept.JWT + `"`
	key := createKey(t, c, `"_id":"k1","body":{"description":"kept"}`+jwt)
	if key.ID != "k1" || key.Source.UserID != "ann" || key.Source.TTL != -1 || key.Source.ExpiresAt != -1 || !strings.HasPrefix(key.Source.Token, "kapikey-") || len(key.Source.Fingerprint) != 64 {
		t.Fatalf("createApiKey: %+v", key)
	}
	gone := createKey(t, c, `"body":{"description":"deleted"}`+jwt)
	mustCall(t, c, "auth", "deleteApiKey", `"_id":"`+gone.ID+`"`+jwt)
	mustCall(t, c, "auth", "logout", `"jwt":"`+loggedOut.JWT+`"`)
	adminKey := mustCall(t, c, "security", "createApiKey", `"userId":"ann","_id":"k2","body":{"description":"by admin"},"expiresIn":"1d"`)
	if !strings.Contains(string(adminKey.Result), `"ttl":86400000`) {
		t.Fatalf("security:createApiKey: %s", adminKey.Result)
	}
	refreshed := login(t, c, "ann", "correct horse battery", `,"expiresIn":"1d"`)
	mustCall(t, c, "auth", "refreshToken", `"jwt":"`+refreshed.JWT+`"`)
	graceEnd := time.Now().Add(time.Second) // security.authToken.gracePeriod

	r = r.restart(t)
	c = r.client(t)
	// A refreshed token outlives its refresh by the grace period only,
	// across a restart too.
	var check struct {
		Valid     bool  `json:"valid"`
		ExpiresAt int64 `json:"expiresAt"`
	}
	res := mustCall(t, c, "auth", "checkToken", `"body":{"token":"`+refreshed.JWT+`"}`)
	if err := jsonx.Unmarshal(res.Result, &check); err != nil {
		t.Fatal(err)
	}
	if check.Valid && check.ExpiresAt > graceEnd.UnixMilli() {
		t.Fatalf("a refreshed token is valid until %d after a restart, past its grace period (%d)", check.ExpiresAt, graceEnd.UnixMilli())
	}
	tests := []struct {
		name, jwt, want string
	}{
		{"login token", kept.JWT, "ann"},
		{"API key", key.Source.Token, "ann"},
		{"deleted API key", gone.Source.Token, "security.token.invalid"},
		{"logged out token", loggedOut.JWT, "security.token.invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := whoAmI(t, c, tt.jwt); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	res = mustCall(t, c, "auth", "searchApiKeys", `"body":{"match":{"description":"kept"}}`+jwt)
	if !strings.Contains(string(res.Result), `"total":1`) || !strings.Contains(string(res.Result), `"_id":"k1"`) || strings.Contains(string(res.Result), "kapikey-") {
		t.Fatalf("searchApiKeys: %s", res.Result)
	}
	res = mustCall(t, c, "security", "searchApiKeys", `"userId":"ann"`)
	if !strings.Contains(string(res.Result), `"total":2`) {
		t.Fatalf("security:searchApiKeys: %s", res.Result)
	}
	mustCall(t, c, "security", "deleteApiKey", `"userId":"ann","_id":"k1"`)
	if got := whoAmI(t, c, key.Source.Token); got != "security.token.invalid" {
		t.Fatalf("a key deleted by security:deleteApiKey: %q", got)
	}
	if r := call(t, c, "auth", "deleteApiKey", `"_id":"k2","jwt":"`+loggedOut.JWT+`"`); errorID(r) != "security.token.invalid" {
		t.Fatalf("deleteApiKey with a revoked token: %s", r.raw)
	}
	if r := call(t, c, "security", "deleteApiKey", `"userId":"bob","_id":"k2"`); errorID(r) != "services.storage.not_found" {
		t.Fatalf("another user's key: %s", r.raw)
	}
}

func TestCreateTokenAndMyCredentials(t *testing.T) {
	_, c := securityServer(t, nil)
	createUser(t, c, "ann", `["default"]`, "ann", "correct horse battery")
	l := login(t, c, "ann", "correct horse battery", "")
	jwt := `"jwt":"` + l.JWT + `"`
	if r := call(t, c, "auth", "createToken", `"expiresIn":-1,`+jwt); errorID(r) != "security.token.invalid_expiration" {
		t.Fatalf("an infinite createToken: %s", r.raw)
	}
	r := mustCall(t, c, "auth", "createToken", `"singleUse":true,`+jwt)
	var once struct {
		Token     string `json:"token"`
		SingleUse bool   `json:"singleUse"`
		TTL       int64  `json:"ttl"`
	}
	if err := jsonx.Unmarshal(r.Result, &once); err != nil || !once.SingleUse || once.TTL != 3_600_000 {
		t.Fatalf("createToken: %s", r.raw)
	}
	if got := whoAmI(t, c, once.Token); got != "ann" {
		t.Fatalf("the single-use token's first use: %q", got)
	}
	if got := whoAmI(t, c, once.Token); got != "security.token.invalid" {
		t.Fatalf("the single-use token's second use: %q", got)
	}
	tests := []struct {
		action, extra, want string
	}{
		{"credentialsExist", `"strategy":"local"`, `true`},
		{"getMyCredentials", `"strategy":"local"`, `{"username":"ann","kuid":"ann"}`},
		{"validateMyCredentials", `"strategy":"local","body":{"username":"ann2","password":"another long one"}`, `true`},
		{"updateSelf", `"body":{"name":"Ann"}`, `{"_id":"ann","_source":{"name":"Ann","profileIds":["default"]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			r := mustCall(t, c, "auth", tt.action, tt.extra+","+jwt)
			if string(r.Result) != tt.want {
				t.Fatalf("got %s, want %s", r.Result, tt.want)
			}
		})
	}
	errs := []struct {
		action, extra, want string
	}{
		{"credentialsExist", `"strategy":"nope",` + jwt, "security.credentials.unknown_strategy"},
		{"credentialsExist", `"strategy":"local"`, "security.rights.unauthorized"},
		{"updateSelf", `"body":{"profileIds":["admin"]},` + jwt, "api.assert.forbidden_argument"},
		{"createApiKey", `"body":{},` + jwt, "api.assert.missing_argument"},
	}
	for _, tt := range errs {
		t.Run(tt.action+" "+tt.want, func(t *testing.T) {
			if r := call(t, c, "auth", tt.action, tt.extra); errorID(r) != tt.want {
				t.Fatalf("got %s", r.raw)
			}
		})
	}
	mustCall(t, c, "auth", "deleteMyCredentials", `"strategy":"local",`+jwt)
	if r := mustCall(t, c, "auth", "credentialsExist", `"strategy":"local",`+jwt); string(r.Result) != "false" {
		t.Fatalf("credentialsExist after deleteMyCredentials: %s", r.Result)
	}
	r = mustCall(t, c, "auth", "createMyCredentials", `"strategy":"local","body":{"username":"ann","password":"correct horse battery"},`+jwt)
	if string(r.Result) != `{"username":"ann","kuid":"ann"}` {
		t.Fatalf("createMyCredentials: %s", r.Result)
	}
}
