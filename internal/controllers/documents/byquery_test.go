package documents

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/mapping"
	"github.com/starlingmq/starling/internal/store/storetest"
	"github.com/starlingmq/starling/internal/store/teststores"
)

// meddler is a store that changes documents right before each Write, as a
// concurrent client would between a by-query write's search and its write.
type meddler struct {
	store.Store
	mu sync.Mutex
	// before returns the ops to apply before the n-th Write (0-based).
	before func(n int) []store.Op
	writes int
}

func (m *meddler) Write(ctx context.Context, index, collection string, ops []store.Op) ([]store.Result, error) {
	m.mu.Lock()
	n := m.writes
	m.writes++
	m.mu.Unlock()
	if changes := m.before(n); len(changes) > 0 {
		if _, err := m.Store.Write(ctx, index, collection, changes); err != nil {
			return nil, err
		}
	}
	return m.Store.Write(ctx, index, collection, ops)
}

// recorder keeps the changes the controllers notify.
type recorder struct{ changes []Change }

func (r *recorder) NotifyDocuments(_ *api.Request, _, _ string, changes []Change) {
	r.changes = append(r.changes, changes...)
}

// stores makes the stores of the tests, on each dialect.
var stores teststores.Dialects

func TestMain(m *testing.M) { os.Exit(teststores.Main(m, &stores)) }

// Stores gives the stores of this test binary to the tests of package
// documents_test.
var Stores = &stores

// byQueryStore opens a store (of fresh) with i:c holding two Paris
// documents, wrapped in a meddler.
func byQueryStore(t *testing.T, fresh storetest.Fresh, before func(n int) []store.Op) (*meddler, *recorder, map[string]api.Action) {
	t.Helper()
	ctx := context.Background()
	e := teststores.Open(t, fresh(t))
	m, _ := mapping.Parse([]byte(`{"properties":{"city":{"type":"keyword"},"n":{"type":"integer"}}}`))
	if err := e.CreateCollection(ctx, "i", "c", m, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Write(ctx, "i", "c", []store.Op{
		{Kind: store.OpCreate, ID: "d1", Body: []byte(`{"city":"paris","n":1}`)},
		{Kind: store.OpCreate, ID: "d2", Body: []byte(`{"city":"paris","n":2}`)},
	}); err != nil {
		t.Fatal(err)
	}
	st := &meddler{Store: e, before: before}
	rec := &recorder{}
	actions := map[string]api.Action{}
	for _, ctl := range Controllers(Deps{Store: st, Notifier: rec, ScrollTTL: 15 * time.Second, MaxScrollTTL: time.Minute}) {
		for name, a := range ctl.Actions {
			actions[ctl.Name+":"+name] = a
		}
	}
	return st, rec, actions
}

// run calls an action with a request payload.
func run(t *testing.T, actions map[string]api.Action, name, payload string) (string, error) {
	t.Helper()
	req, kerr := api.Parse([]byte(payload), api.Connection{ID: "t", Protocol: "mqtt"})
	if kerr != nil {
		t.Fatal(kerr)
	}
	out, err := actions[name](context.Background(), req)
	if err != nil {
		return "", err
	}
	raw, _ := jsonx.Marshal(out)
	return string(raw), nil
}

func TestDeleteByQueryDoesNotDeleteADocumentChangedAway(t *testing.T) {
	stores.Run(t, testDeleteByQueryDoesNotDeleteADocumentChangedAway)
}

func testDeleteByQueryDoesNotDeleteADocumentChangedAway(t *testing.T, fresh storetest.Fresh) {
	// Before the first write, d1 leaves Paris and d2 changes but stays.
	st, rec, actions := byQueryStore(t, fresh, func(n int) []store.Op {
		if n > 0 {
			return nil
		}
		return []store.Op{
			{Kind: store.OpUpdate, ID: "d1", Body: []byte(`{"city":"rome"}`)},
			{Kind: store.OpUpdate, ID: "d2", Body: []byte(`{"n":3}`)},
		}
	})
	got, err := run(t, actions, "document:deleteByQuery", `{"index":"i","collection":"c","body":{"query":{"term":{"city":"paris"}}}}`)
	if err != nil || got != `{"documents":[{"_id":"d2"}],"ids":["d2"]}` {
		t.Fatalf("deleteByQuery: %s %v", got, err)
	}
	docs, _ := st.Get(context.Background(), "i", "c", []string{"d1", "d2"})
	if !docs[0].Found || !strings.Contains(string(docs[0].Source), `"rome"`) || docs[1].Found {
		t.Errorf("left: %+v", docs)
	}
	if len(rec.changes) != 1 || rec.changes[0].ID != "d2" || rec.changes[0].Action != "delete" || !strings.Contains(string(rec.changes[0].Source), `"n":3`) {
		t.Errorf("notified: %+v", rec.changes)
	}
}

func TestUpdateByQueryReportsADocumentThatKeepsChanging(t *testing.T) {
	stores.Run(t, testUpdateByQueryReportsADocumentThatKeepsChanging)
}

func testUpdateByQueryReportsADocumentThatKeepsChanging(t *testing.T, fresh storetest.Fresh) {
	_, rec, actions := byQueryStore(t, fresh, func(int) []store.Op {
		return []store.Op{{Kind: store.OpUpdate, ID: "d1", Body: []byte(`{"n":9}`)}}
	})
	got, err := run(t, actions, "document:updateByQuery", `{"index":"i","collection":"c","body":{"query":{"term":{"city":"paris"}},"changes":{"tag":"x"}}}`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, `{"errors":[{"document":{"_id":"d1","_source":{"tag":"x"}},"reason":"[d1]: version conflict`) ||
		!strings.HasSuffix(got, `"status":409}],"successes":[{"_id":"d2","_version":2,"status":200}]}`) {
		t.Errorf("updateByQuery: %s", got)
	}
	if len(rec.changes) != 1 || rec.changes[0].ID != "d2" || !strings.HasSuffix(string(rec.changes[0].Result), `,"_updatedFields":["tag"]}`) {
		t.Errorf("notified: %+v", rec.changes)
	}
	// bulk:deleteByQuery gives up the same way, with Kuzzle's error.
	if _, err := run(t, actions, "bulk:deleteByQuery", `{"index":"i","collection":"c","body":{"query":{"ids":{"values":["d1"]}}}}`); err == nil ||
		!strings.Contains(err.Error(), "too many simultaneous changes") {
		t.Errorf("bulk:deleteByQuery of a document that keeps changing: %v", err)
	}
}

func TestUpdatedFields(t *testing.T) {
	tests := []struct{ changes, want string }{
		{`{}`, ""},
		{`{"b":1,"a":{"z":[1,{"q":2}],"y":{"x":"}"}},"_kuzzle_info":{"author":"x"}}`, "b,a.z,a.y.x"},
		{` { "s" : "a\"b" , "n" : null , "e" : {} } `, "s,n"},
	}
	for _, tt := range tests {
		if got := strings.Join(updatedFields([]byte(tt.changes), nil, ""), ","); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.changes, got, tt.want)
		}
	}
}

func TestMultiTarget(t *testing.T) {
	for _, name := range []string{"a,b", "*", "x+y", "_all"} {
		if !multiTarget(name) {
			t.Errorf("%s is several targets", name)
		}
	}
	if multiTarget("plain") {
		t.Error("plain is one target")
	}
}
