package nettest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"testing"
)

// Ports below the system's ephemeral range (32768 and up on Linux), where
// the kernel never picks the port of an outgoing connection or of a
// listener on port 0: a port found free here stays free until a test binds
// it, unless another test picked the same by chance.
const (
	lowest  = 20000
	highest = 32000
)

// FreePorts returns n distinct ports that are free on every interface
// when asked, chosen at random below the ephemeral range; it fails t when
// it finds none.
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	ports, err := Ports(n)
	if err != nil {
		t.Fatal(err)
	}
	return ports
}

// Ports is FreePorts for programs other than tests (the load harness).
func Ports(n int) ([]int, error) {
	ports := make([]int, 0, n)
	seen := map[int]bool{}
	for tries := 0; len(ports) < n; tries++ {
		if tries > 1000 {
			return nil, fmt.Errorf("no %d free ports between %d and %d", n, lowest, highest)
		}
		p := lowest + rand.IntN(highest-lowest)
		if seen[p] {
			continue
		}
		seen[p] = true
		l, err := net.Listen("tcp", ":"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		_ = l.Close()
		ports = append(ports, p)
	}
	return ports, nil
}
