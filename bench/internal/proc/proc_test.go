package proc

import (
	"os"
	"os/exec"
	"testing"
)

func TestSelf(t *testing.T) {
	if _, err := CPUTime(os.Getpid()); err != nil {
		t.Fatal(err)
	}
	m, err := ReadMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS == 0 || m.Peak < m.RSS {
		t.Fatalf("implausible memory %+v", m)
	}
	if _, err := CPUTime(-1); err == nil {
		t.Fatal("no error for a missing process")
	}
}

// TestFamily counts the CPU a child spent once it has been waited for.
func TestFamily(t *testing.T) {
	before, err := FamilyCPUTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// A child that spins for about 50 ms of CPU, then exits.
	cmd := exec.Command("sh", "-c", `i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done`)
	if err := cmd.Run(); err != nil {
		t.Fatalf("sh: %v", err)
	}
	after, err := FamilyCPUTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after <= before {
		t.Fatalf("family CPU %v → %v: the child's CPU is not counted", before, after)
	}
	own, err := CPUTime(os.Getpid())
	if err != nil || own > after {
		t.Fatalf("own CPU %v above the family's %v (%v)", own, after, err)
	}
}
