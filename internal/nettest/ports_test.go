package nettest

import (
	"net"
	"strconv"
	"testing"
)

func TestFreePortsAreFreeAndDistinct(t *testing.T) {
	ports := FreePorts(t, 5)
	seen := map[int]bool{}
	for _, p := range ports {
		if seen[p] || p < lowest || p >= highest {
			t.Fatalf("ports %v", ports)
		}
		seen[p] = true
		l, err := net.Listen("tcp", ":"+strconv.Itoa(p))
		if err != nil {
			t.Fatalf("port %d is not free: %v", p, err)
		}
		l.Close()
	}
}
