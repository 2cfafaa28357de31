package proc

import (
	"os"
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
