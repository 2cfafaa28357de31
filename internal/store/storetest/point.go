package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/starlingmq/starling/internal/store"
)

// TestGetsAcrossManyCollections: reads by id stay right when they span
// more collections than a read connection keeps statements for, and
// when a collection is dropped under them.
func testGetsAcrossManyCollections(t *testing.T, fresh Fresh) {
	ctx := context.Background()
	e := fresh(t)(t)
	defer e.Close()
	const n = 300
	for i := range n {
		name := fmt.Sprintf("c%d", i)
		if err := e.CreateCollection(ctx, "idx", name, nil, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Write(ctx, "idx", name, []store.Op{{Kind: store.OpCreate, ID: "d", Body: []byte(fmt.Sprintf(`{"n":%d}`, i))}}); err != nil {
			t.Fatal(err)
		}
	}
	for round := range 2 {
		for i := range n {
			docs, err := e.Get(ctx, "idx", fmt.Sprintf("c%d", i), []string{"d", "missing"})
			if err != nil {
				t.Fatal(err)
			}
			one, err := e.Get(ctx, "idx", fmt.Sprintf("c%d", i), []string{"d"})
			if err != nil {
				t.Fatal(err)
			}
			if !docs[0].Found || docs[1].Found || !one[0].Found || source(t, one[0].Source)["n"] != float64(i) || one[0].Version != 1 {
				t.Fatalf("round %d, c%d: got %+v and %+v", round, i, docs, one)
			}
		}
	}
	if err := e.DeleteCollection(ctx, "idx", "c7"); err != nil {
		t.Fatal(err)
	}
	_, err := e.Get(ctx, "idx", "c7", []string{"d"})
	if errID(err) != "services.storage.unknown_collection" {
		t.Fatalf("get in a dropped collection: %v", err)
	}
}
