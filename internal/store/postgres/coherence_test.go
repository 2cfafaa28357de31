package postgres_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/coherence"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/mapping"
	"github.com/starlingmq/starling/internal/store/query"
	"github.com/starlingmq/starling/internal/store/sqlstore"
	"github.com/starlingmq/starling/internal/store/storetest"
)

// pair opens two engines on one database, as two nodes would, each
// emitting its catalogue changes to the other's Apply (on a goroutine of
// its own, as a transport would deliver them).
func pair(t *testing.T, wired bool) (a, b *sqlstore.Engine) {
	t.Helper()
	url := storetest.Database(t, pg)
	a, b = open(t, url), open(t, url)
	t.Cleanup(func() { a.Close(); b.Close() })
	if wired {
		a.SetEmitter(deliver(t, b))
		b.SetEmitter(deliver(t, a))
	}
	return a, b
}

// deliver returns a send function applying changes to e.
func deliver(t *testing.T, e *sqlstore.Engine) func(coherence.Change) {
	return func(c coherence.Change) {
		go func() {
			if err := e.Apply(context.Background(), c); err != nil {
				t.Errorf("apply %s: %v", c, err)
			}
		}()
	}
}

// eventually polls cond until it holds, failing t after a generous
// deadline.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func mustMapping(t *testing.T, raw string) *mapping.Mappings {
	t.Helper()
	m, err := mapping.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func write(t *testing.T, e *sqlstore.Engine, index, collection, id, body string) {
	t.Helper()
	res, err := e.Write(context.Background(), index, collection, []store.Op{{Kind: store.OpCreateOrReplace, ID: id, Body: jsonx.RawMessage(body)}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("write %s: %v %v", id, err, res)
	}
}

func search(t *testing.T, e *sqlstore.Engine, index, collection, body string) []string {
	t.Helper()
	ctx := context.Background()
	m, err := e.Mapping(ctx, index, collection)
	if err != nil {
		t.Fatal(err)
	}
	s, err := query.ParseSearch([]byte(body), "", m)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Search(ctx, index, collection, s)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	slices.Sort(ids)
	return ids
}

// TestCollectionCreatedElsewhereIsUsableAtOnce checks read-through: with
// no change delivered, a collection created through one engine is written
// and read through the other at once, and a name missing everywhere is
// still not found.
func TestCollectionCreatedElsewhereIsUsableAtOnce(t *testing.T) {
	a, b := pair(t, false)
	ctx := context.Background()
	if err := a.CreateCollection(ctx, "i", "c", mustMapping(t, `{"properties":{"city":{"type":"keyword"}}}`), nil); err != nil {
		t.Fatal(err)
	}
	write(t, b, "i", "c", "d1", `{"city":"oslo"}`)
	if got := search(t, a, "i", "c", `{"query":{"term":{"city":"oslo"}}}`); !slices.Equal(got, []string{"d1"}) {
		t.Errorf("search through a: %v", got)
	}
	if ok, err := b.HasIndex(ctx, "i"); !ok || err != nil {
		t.Errorf("b.HasIndex: %v %v", ok, err)
	}
	if _, err := b.Mapping(ctx, "i", "missing"); errID(err) != "services.storage.unknown_collection" {
		t.Errorf("missing collection: %v", err)
	}
	if _, err := b.ListCollections(ctx, "nowhere"); errID(err) != "services.storage.unknown_index" {
		t.Errorf("missing index: %v", err)
	}
}

// TestCatalogueChangesReachTheOtherEngine checks the emitted changes:
// what read-through cannot see (an index listed, new mappings, a deleted
// collection, array paths) reaches the other engine once the change is
// applied.
func TestCatalogueChangesReachTheOtherEngine(t *testing.T) {
	a, b := pair(t, true)
	ctx := context.Background()
	if err := a.CreateIndex(ctx, "listed"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b lists the index", func() bool {
		names, _ := b.ListIndexes(ctx)
		return slices.Contains(names, "listed")
	})
	if err := a.CreateCollection(ctx, "i", "c", mustMapping(t, `{"properties":{"city":{"type":"keyword"}}}`), nil); err != nil {
		t.Fatal(err)
	}
	write(t, b, "i", "c", "d1", `{"city":"oslo","tags":"x"}`)
	if _, err := a.UpdateMapping(ctx, "i", "c", mustMapping(t, `{"properties":{"tags":{"type":"keyword"}}}`)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b sees the new mapping", func() bool {
		m, err := b.Mapping(ctx, "i", "c")
		return err == nil && m.Properties["tags"] != nil
	})
	// An array written through a: b must search the path as an array.
	write(t, a, "i", "c", "d2", `{"city":"rome","tags":["x","y"]}`)
	eventually(t, "b finds the document by an element of its array", func() bool {
		return slices.Equal(search(t, b, "i", "c", `{"query":{"term":{"tags":"y"}}}`), []string{"d2"})
	})
	if err := a.DeleteCollection(ctx, "i", "c"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b forgets the collection", func() bool {
		ok, err := b.HasCollection(ctx, "i", "c")
		return err == nil && !ok
	})
	if _, err := b.DeleteIndexes(ctx, []string{"listed"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a forgets the index", func() bool {
		names, _ := a.ListIndexes(ctx)
		return !slices.Contains(names, "listed")
	})
}

// TestAMissIsForgottenByApply checks the negative cache of read-through:
// a name just found missing is answered from memory, until the change
// creating it is applied.
func TestAMissIsForgottenByApply(t *testing.T) {
	a, b := pair(t, false)
	ctx := context.Background()
	if ok, _ := b.HasCollection(ctx, "i", "late"); ok {
		t.Fatal("found before its creation")
	}
	if err := a.CreateCollection(ctx, "i", "late", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := b.Apply(ctx, coherence.Change{Kind: coherence.Catalogue, Key: "i", Sub: "late"}); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.HasCollection(ctx, "i", "late"); !ok || err != nil {
		t.Errorf("after Apply: %v %v", ok, err)
	}
}

// TestStaleEnginesMergeTheirChanges checks that an engine that did not
// hear of another's changes does not overwrite them: array paths and
// dynamically mapped fields added through both engines are all kept.
func TestStaleEnginesMergeTheirChanges(t *testing.T) {
	url := storetest.Database(t, pg)
	a, b := open(t, url), open(t, url)
	defer a.Close()
	defer b.Close()
	ctx := context.Background()
	if err := a.CreateCollection(ctx, "i", "c", mustMapping(t, `{"dynamic":"true","properties":{}}`), nil); err != nil {
		t.Fatal(err)
	}
	write(t, b, "i", "c", "seen", `{}`) // b knows the collection from now on
	write(t, a, "i", "c", "d1", `{"one":["x"],"fromA":"a"}`)
	write(t, b, "i", "c", "d2", `{"two":["y"],"fromB":"b"}`)
	c := open(t, url)
	defer c.Close()
	m, err := c.Mapping(ctx, "i", "c")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"one", "two", "fromA", "fromB"} {
		if m.Properties[f] == nil {
			t.Errorf("field %s lost from the mappings", f)
		}
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var arrays string
	if err := db.QueryRow(`SELECT arrays FROM starling_collections WHERE idx = 'i' AND name = 'c'`).Scan(&arrays); err != nil {
		t.Fatal(err)
	}
	if arrays != `["one","two"]` {
		t.Errorf("array paths: %s", arrays)
	}
}

// errID is a Kuzzle error's id, "" for another error.
func errID(err error) string {
	if kerr, ok := err.(*kerror.Error); ok {
		return kerr.ID
	}
	return ""
}

// TestWriteToACollectionDroppedElsewhere checks that an engine that did
// not hear of a collection's deletion answers a write as Kuzzle does
// (unknown collection), and writes into the collection created again
// under the same name.
func TestWriteToACollectionDroppedElsewhere(t *testing.T) {
	a, b := pair(t, false)
	ctx := context.Background()
	for _, name := range []string{"gone", "again"} {
		if err := a.CreateCollection(ctx, "i", name, nil, nil); err != nil {
			t.Fatal(err)
		}
		write(t, b, "i", name, "d1", `{}`)
		if err := a.DeleteCollection(ctx, "i", name); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.CreateCollection(ctx, "i", "again", nil, nil); err != nil {
		t.Fatal(err)
	}
	_, err := b.Write(ctx, "i", "gone", []store.Op{{Kind: store.OpCreate, ID: "d2", Body: jsonx.RawMessage(`{}`)}})
	if errID(err) != "services.storage.unknown_collection" {
		t.Errorf("a write to a collection deleted elsewhere: %v", err)
	}
	write(t, b, "i", "again", "d2", `{}`)
	if docs, err := a.Get(ctx, "i", "again", []string{"d2"}); err != nil || !docs[0].Found {
		t.Errorf("the write into the collection created again: %v %v", docs, err)
	}
}
