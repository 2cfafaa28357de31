package node_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"

	"github.com/starlingmq/starling/actors/node"
	"github.com/starlingmq/starling/internal/config"
)

// recorder is a slog handler that keeps every record, for tests that read
// what a node logged.
type recorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec.Clone())
	return nil
}

// find returns the attributes of the first record whose message is msg.
func (r *recorder) find(msg string) (slog.Level, map[string]string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range r.records {
		if rec.Message != msg {
			continue
		}
		attrs := map[string]string{}
		rec.Attrs(func(a slog.Attr) bool {
			attrs[a.Key] = a.Value.String()
			return true
		})
		return rec.Level, attrs, true
	}
	return 0, nil, false
}

// TestWasmStartupLine starts nodes with and without a module directory: each
// says at INFO whether Wasm is on and which directory it is about.
func TestWasmStartupLine(t *testing.T) {
	present, absent := t.TempDir(), filepath.Join(t.TempDir(), "wasm")
	tests := []struct {
		name string
		dir  string
		msg  string
	}{
		{"directory present", present, "Wasm on: modules loaded, watching the module directory"},
		{"default directory absent", absent, "Wasm off: no module directory (plugins.wasm.dir)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Load(config.Sources{})
			if err != nil {
				t.Fatal(err)
			}
			cfg.Server.MQTT.Host, cfg.Server.MQTT.Port = "127.0.0.1", 0
			cfg.Storage.Path = t.TempDir()
			cfg.Wasm.Dir, cfg.Wasm.CacheDir = tt.dir, "-"
			rec := &recorder{}
			n, err := node.Start(node.Options{Config: cfg, Logger: slog.New(rec)})
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				ctx, cancel := context.WithTimeout(context.Background(), wait)
				defer cancel()
				if err := n.Shutdown(ctx); err != nil {
					t.Errorf("shutdown: %v", err)
				}
			}()
			level, attrs, ok := rec.find(tt.msg)
			if !ok {
				t.Fatalf("no %q logged", tt.msg)
			}
			if level != slog.LevelInfo || attrs["dir"] != tt.dir {
				t.Fatalf("logged at %v with dir %q, want INFO with %q", level, attrs["dir"], tt.dir)
			}
		})
	}
}
