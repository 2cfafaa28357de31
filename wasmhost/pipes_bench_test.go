package wasmhost_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/wasmhost"
)

// BenchmarkDocumentCreatePipe measures what a document:beforeCreate pipe
// adds to document:create, in process (node.Call, with triggerEvents so
// that the request fires its events as a client's does): no pipe, a pipe
// that lets the request through unchanged, and one that rewrites its body.
func BenchmarkDocumentCreatePipe(b *testing.B) {
	for _, bc := range []struct{ name, pipe string }{
		{"nopipe", ""},
		{"pass", "none"},
		{"stamp", "stamp"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			modules := map[string]string{}
			if bc.pipe != "" {
				modules["bench"] = buildPipes(b, beforeCreate, "a")
			}
			s := startPipeServer(b, modules, func(c *config.Config) { c.Storage.Synchronous = "normal" })
			conn := api.Connection{ID: "bench", Protocol: "mqtt"}
			call := func(payload string) {
				out, err := s.node.Call(context.Background(), []byte(payload), conn)
				var r struct{ Status int }
				if err != nil || jsonx.Unmarshal(out, &r) != nil || r.Status != 200 {
					b.Fatalf("%s: %v %s", payload, err, out)
				}
			}
			call(`{"controller":"index","action":"create","index":"i"}`)
			call(`{"controller":"collection","action":"create","index":"i","collection":"c"}`)
			prefix := `{"controller":"document","action":"create","index":"i","collection":"c","triggerEvents":true,"volatile":{"pipe":"` + bc.pipe + `"},"body":{"x":1},"_id":"d`
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				call(prefix + strconv.Itoa(i) + `"}`)
			}
		})
	}
}

// BenchmarkPipe measures one pipe call on its own (EventPlan.Pipe on a
// document:beforeCreate request), the guest letting the request through
// ("none") or rewriting its body ("stamp").
func BenchmarkPipe(b *testing.B) {
	h, err := wasmhost.New(context.Background(), wasmhost.Options{
		Config:  wasmhost.Config{CacheDir: filepath.Join(buildDir, "cache")},
		Logger:  testLogger(b),
		Actions: fakeAPI{"document": {"create"}},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = h.Close(context.Background()) })
	load(b, h, "bench", buildPipes(b, beforeCreate, "a"))
	plan := h.Events("document", "create")
	for _, pipe := range []string{"none", "stamp"} {
		b.Run(pipe, func(b *testing.B) {
			req := request(b, `{"controller":"document","action":"create","index":"i","collection":"c","_id":"d1","volatile":{"pipe":"`+pipe+`"},"body":{"x":1}}`)
			b.ReportAllocs()
			for range b.N {
				if _, _, err := plan.Pipe(context.Background(), api.StageBefore, req, nil, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
