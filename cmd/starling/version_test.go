package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/starlingmq/starling/actors/node"
)

// TestVersion runs the command with --version: it prints the version
// server:info reports on stdout, starts no server and exits 0.
func TestVersion(t *testing.T) {
	cmd := exec.Command(os.Args[0], "--version")
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"STARLING_TEST_RUN_MAIN=1", "HOME=" + cmd.Dir}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("starling --version: %v\n%s", err, stderr.String())
	}
	if want := "starling " + node.Version + "\n"; string(out) != want {
		t.Errorf("stdout %q, want %q", out, want)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr %q, want nothing", stderr.String())
	}
}
