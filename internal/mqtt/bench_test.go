package mqtt

import "testing"

// BenchmarkRequestRoundTrip reads one request PUBLISH from a buffer and
// writes its answer, with a session that answers at once: the transport's
// own cost per request, no socket.
func BenchmarkRequestRoundTrip(b *testing.B) {
	c, _, out := connected(b, Config{})
	packet := publishPacket("Kuzzle/request", []byte(`{"controller":"server","action":"now","requestId":"r"}`))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := c.consume(packet); err != nil {
			b.Fatal(err)
		}
		out.mu.Lock()
		out.out.Reset()
		out.mu.Unlock()
	}
}

// BenchmarkDeliver hands one notification packet to a client whose socket
// takes it.
func BenchmarkDeliver(b *testing.B) {
	c, _, out := connected(b, Config{})
	packet := EncodePublish("room-111", make([]byte, 400), 4)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if !c.Deliver(packet) {
			b.Fatal("not delivered")
		}
		out.mu.Lock()
		out.out.Reset()
		out.mu.Unlock()
	}
}
