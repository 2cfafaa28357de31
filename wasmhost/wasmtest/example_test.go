package wasmtest_test

import (
	"context"
	"fmt"
	"log"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/wasmhost"
	"github.com/starlingmq/starling/wasmhost/wasmtest"
)

// A guest's Go test: examples/plugin's pipe with a price range, then its
// login hook counting logins in the state.
func ExampleRunner_Pipe() {
	ctx := context.Background()
	r, err := wasmtest.Open(ctx, "plugin.wasm", wasmtest.Options{
		Settings: wasmhost.Settings{Config: jsonx.RawMessage(`{"minPrice":10,"maxPrice":100}`)},
		State:    map[string][]byte{"logins": []byte("41")},
	})
	if err != nil {
		log.Fatal(err) // the file, or starling_init's refusal of the configuration
	}
	defer r.Close(ctx)

	out, kerr, err := r.Pipe(ctx, "document:beforeCreate", wasmtest.Event{
		Request: jsonx.RawMessage(`{"index":"shop","collection":"items","body":{"price":50}}`),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(out.Request), kerr) // the stamped request, <nil>

	if err := r.Hook(ctx, "auth:afterLogin", wasmtest.Event{Result: jsonx.RawMessage(`{"_id":"u1"}`)}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(r.State()["logins"])) // 42
}
