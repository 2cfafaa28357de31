package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store"
)

func errID(err error) string {
	if kerr, ok := err.(*kerror.Error); ok {
		return kerr.ID
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

func testDocumentsSurviveReopen(t *testing.T, fresh Fresh) {
	ctx := context.Background()
	reopen := fresh(t)
	e := reopen(t)
	if err := e.CreateCollection(ctx, "idx", "col", nil, nil); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				id := fmt.Sprintf("w%d-%d", w, i)
				res, err := e.Write(ctx, "idx", "col", []store.Op{{Kind: store.OpCreate, ID: id, Body: []byte(`{"n":1}`)}})
				if err == nil {
					err = res[0].Err
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	res, err := e.Write(ctx, "idx", "col", []store.Op{
		{Kind: store.OpCreate, ID: "w0-0", Body: []byte(`{}`)},
		{Kind: store.OpUpdate, ID: "w0-1", Body: []byte(`{"m":{"a":1}}`), User: "u1"},
		{Kind: store.OpUpdate, ID: "nope", Body: []byte(`{}`)},
		{Kind: store.OpDelete, ID: "w0-2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if id := errID(res[0].Err); id != "services.storage.document_already_exists" {
		t.Errorf("duplicate create: %s", id)
	}
	if res[1].Err != nil || res[1].Version != 2 || !strings.Contains(string(res[1].Source), `"updater":"u1"`) {
		t.Errorf("update: %+v %s", res[1], res[1].Source)
	}
	if id := errID(res[2].Err); id != "services.storage.not_found" {
		t.Errorf("update of a missing document: %s", id)
	}
	if res[3].Err != nil {
		t.Errorf("delete: %v", res[3].Err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e = reopen(t)
	defer e.Close()
	docs, err := e.Get(ctx, "idx", "col", []string{"w63-19", "w0-1", "w0-2"})
	if err != nil {
		t.Fatal(err)
	}
	if !docs[0].Found || !docs[1].Found || docs[2].Found || docs[1].Version != 2 {
		t.Errorf("after reopen: %+v", docs)
	}
	if _, err := e.Get(ctx, "idx", "other", []string{"x"}); errID(err) != "services.storage.unknown_collection" {
		t.Errorf("unknown collection: %v", err)
	}
}
