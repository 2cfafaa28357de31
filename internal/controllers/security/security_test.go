package security

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/security/repository"
	"github.com/starlingmq/starling/internal/security/token"
	"github.com/starlingmq/starling/internal/store/storetest"
	"github.com/starlingmq/starling/internal/store/teststores"
)

// fakeCredentials is a strategy "local" keeping credentials in memory;
// a credentials value {"bad":true} fails validation.
type fakeCredentials struct{ stored map[string]string }

func (f *fakeCredentials) Strategies() []string { return []string{"local"} }
func (f *fakeCredentials) Exists(_ context.Context, strategy, kuid string) (bool, error) {
	_, ok := f.stored[strategy+"/"+kuid]
	return ok, nil
}
func (f *fakeCredentials) Validate(_ context.Context, _, _ string, credentials jsonx.RawMessage) error {
	if strings.Contains(string(credentials), `"bad"`) {
		return errors.New("bad credentials")
	}
	return nil
}
func (f *fakeCredentials) Create(_ context.Context, strategy, kuid string, credentials jsonx.RawMessage) error {
	f.stored[strategy+"/"+kuid] = string(credentials)
	return nil
}
func (f *fakeCredentials) Delete(_ context.Context, strategy, kuid string) error {
	delete(f.stored, strategy+"/"+kuid)
	return nil
}

// fixture is a controller on a fresh store.
type fixture struct {
	t      *testing.T
	ctl    api.Controller
	creds  *fakeCredentials
	tokens *token.Manager
}

// stores makes the stores of the tests, on each dialect.
var stores teststores.Dialects

func TestMain(m *testing.M) { os.Exit(teststores.Main(m, &stores)) }

// newFixture makes a controller on a store of fresh.
func newFixture(t *testing.T, fresh storetest.Fresh) *fixture {
	t.Helper()
	ctx := context.Background()
	st := teststores.Open(t, fresh(t))
	repo, err := repository.Open(ctx, st, repository.Config{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := token.DefaultConfig()
	cfg.Secret = []byte("0123456789abcdef0123456789abcdef")
	tokens, err := token.NewManager(cfg, token.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tokens.Close)
	creds := &fakeCredentials{stored: map[string]string{}}
	ctl := Controller(Deps{Security: repo, Store: st, Tokens: tokens, Credentials: creds, Config: Config{WriteCount: 3},
		Logger: slog.New(slog.DiscardHandler)})
	return &fixture{t: t, ctl: ctl, creds: creds, tokens: tokens}
}

// call runs action with the payload's other fields (a JSON object's
// members, without braces) as the admin user "admin-1".
func (f *fixture) call(action, fields string) (string, error) {
	f.t.Helper()
	payload := `{"controller":"security","action":"` + action + `"`
	if fields != "" {
		payload += "," + fields
	}
	req, kerr := api.Parse([]byte(payload+"}"), api.Connection{ID: "c", Protocol: "mqtt"})
	if kerr != nil {
		f.t.Fatalf("parse %s: %v", payload, kerr)
	}
	ctx := api.WithCaller(context.Background(), api.Caller{UserID: "admin-1"})
	res, err := f.ctl.Actions[action](ctx, req)
	if err != nil {
		return "", err
	}
	out, merr := jsonx.Marshal(res)
	if merr != nil {
		f.t.Fatalf("encode %s: %v", action, merr)
	}
	return string(out), nil
}

// must runs call and fails the test on an error.
func (f *fixture) must(action, fields string) string {
	f.t.Helper()
	out, err := f.call(action, fields)
	if err != nil {
		f.t.Fatalf("%s %s: %v", action, fields, err)
	}
	return out
}

// metaRE matches the timestamps of _kuzzle_info, which the tests blank.
var metaRE = regexp.MustCompile(`"(createdAt|updatedAt)":\d+`)

// blank replaces timestamps by 0.
func blank(s string) string { return metaRE.ReplaceAllString(s, `"$1":0`) }

// errID is a Kuzzle error's id, "" for nil, the text for another error.
func errID(err error) string {
	var kerr *kerror.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &kerr):
		return kerr.ID
	}
	return err.Error()
}

// step is one action and what it must answer: want (timestamps blanked)
// unless it is "", or the error id errID.
type step struct {
	name, action, fields, want, errID string
}

func (f *fixture) run(steps []step) {
	f.t.Helper()
	for _, s := range steps {
		out, err := f.call(s.action, s.fields)
		if got := errID(err); got != s.errID {
			f.t.Errorf("%s: error %q (%v), want %q", s.name, got, err, s.errID)
			continue
		}
		if s.want != "" && blank(out) != s.want {
			f.t.Errorf("%s:\n got %s\nwant %s", s.name, blank(out), s.want)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func countOf(s, sub string) int { return strings.Count(s, sub) }

func indexFrom(s, sub string, from int) int {
	i := strings.Index(s[from:], sub)
	if i < 0 {
		return -1
	}
	return from + i
}
