package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/query"
)

// testIndexAndCollectionLifecycle creates, lists, sizes, truncates and
// deletes indexes and collections, checking each step survives a reopen.
func testIndexAndCollectionLifecycle(t *testing.T, fresh Fresh) {
	ctx := context.Background()
	reopen := fresh(t)
	e := reopen(t)
	if err := e.CreateIndex(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := e.CreateIndex(ctx, "a"); errID(err) != "services.storage.index_already_exists" {
		t.Errorf("second create of an index: %v", err)
	}
	if err := e.CreateCollection(ctx, "b", "c1", nil, jsonx.RawMessage(`{"number_of_shards":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := e.CreateCollection(ctx, "b", "c2", nil, nil); err != nil {
		t.Fatal(err)
	}
	ops := make([]store.Op, 30)
	for i := range ops {
		ops[i] = store.Op{Kind: store.OpCreate, ID: fmt.Sprintf("d%d", i), Body: []byte(fmt.Sprintf(`{"n":%d}`, i))}
	}
	if _, err := e.Write(ctx, "b", "c1", ops); err != nil {
		t.Fatal(err)
	}
	e.Close()
	e = reopen(t)
	defer func() { e.Close() }()
	if names, err := e.ListIndexes(ctx); err != nil || fmt.Sprint(names) != "[a b]" {
		t.Errorf("indexes: %v %v", names, err)
	}
	if names, err := e.ListCollections(ctx, "b"); err != nil || fmt.Sprint(names) != "[c1 c2]" {
		t.Errorf("collections: %v %v", names, err)
	}
	if _, err := e.ListCollections(ctx, "zz"); errID(err) != "services.storage.unknown_index" {
		t.Errorf("collections of a missing index: %v", err)
	}
	if settings, err := e.Settings(ctx, "b", "c1"); err != nil || !sameJSON(t, string(settings), `{"number_of_shards":1}`) {
		t.Errorf("settings: %s %v", settings, err)
	}
	stats, err := e.Stats(ctx)
	if err != nil || len(stats.Indexes) != 2 || stats.Size <= 0 {
		t.Fatalf("stats: %+v %v", stats, err)
	}
	if n, err := e.Count(ctx, "b", "c1", nil); err != nil || n != 30 {
		t.Errorf("count: %d %v", n, err)
	}
	if err := e.Truncate(ctx, "b", "c1"); err != nil {
		t.Fatal(err)
	}
	if n, err := e.Count(ctx, "b", "c1", query.MatchAll{}); err != nil || n != 0 {
		t.Errorf("count after truncate: %d %v", n, err)
	}
	if ok, err := e.HasCollection(ctx, "b", "c1"); err != nil || !ok {
		t.Errorf("truncate kept the collection: %v %v", ok, err)
	}
	res, err := e.Write(ctx, "b", "c1", ops[:1])
	if err != nil || res[0].Err != nil {
		t.Errorf("create after truncate: %v %+v", err, res)
	}
	if err := e.DeleteCollection(ctx, "b", "c2"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := e.HasCollection(ctx, "b", "c2"); ok {
		t.Error("deleted collection still there")
	}
	deleted, err := e.DeleteIndexes(ctx, []string{"b", "zz"})
	if err != nil || fmt.Sprint(deleted) != "[b]" {
		t.Errorf("delete indexes: %v %v", deleted, err)
	}
	if ok, _ := e.HasIndex(ctx, "b"); ok {
		t.Error("deleted index still there")
	}
	if err := e.CreateCollection(ctx, "b", "c1", nil, nil); err != nil {
		t.Fatal(err)
	}
	if n, err := e.Count(ctx, "b", "c1", nil); err != nil || n != 0 {
		t.Errorf("a collection made again starts empty: %d %v", n, err)
	}
}
