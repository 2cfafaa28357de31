package node_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestKuzzleSDK drives the node with Kuzzle's official JavaScript SDK
// (kuzzle-sdk 7.17.1, installed by `npm ci --prefix bench/node`) over
// WebSocket and HTTP: testdata/kuzzle_sdk.js.
func TestKuzzleSDK(t *testing.T) {
	nodeBin, err := exec.LookPath("node")
	modules, _ := filepath.Abs(filepath.Join("..", "..", "bench", "node", "node_modules"))
	if err == nil {
		_, err = os.Stat(filepath.Join(modules, "kuzzle-sdk", "package.json"))
	}
	if err != nil {
		if os.Getenv("STARLING_REQUIRE_ALL") == "1" {
			t.Fatalf("node or bench/node/node_modules/kuzzle-sdk is missing (npm ci --prefix bench/node): %v", err)
		}
		t.Skipf("node or bench/node/node_modules/kuzzle-sdk is missing (npm ci --prefix bench/node): %v", err)
	}
	srv := startServer(t, nil)
	_, portText, err := net.SplitHostPort(srv.node.HTTPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, nodeBin, filepath.Join("testdata", "kuzzle_sdk.js"), portText)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kuzzle-sdk script failed: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
