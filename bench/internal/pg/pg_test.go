package pg

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/starlingmq/starling/bench/internal/proc"
)

// TestStartStop starts a cluster, finds its postmaster and its children's
// CPU, and stops it.
func TestStartStop(t *testing.T) {
	c, err := Start(Options{})
	if errors.Is(err, ErrNotInstalled) && os.Getenv("STARLING_REQUIRE_ALL") != "1" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	pid, err := c.PID()
	if err != nil {
		t.Fatal(err)
	}
	cpu, err := proc.FamilyCPUTime(pid)
	if err != nil || cpu < 0 {
		t.Fatalf("postmaster %d: CPU %v, %v", pid, cpu, err)
	}
	if !strings.Contains(c.URL(), "host="+c.dir) {
		t.Errorf("URL %s does not name the socket directory", c.URL())
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.dir); !os.IsNotExist(err) {
		t.Errorf("directory left after Stop: %v", err)
	}
}
