package mqttc

import (
	"bufio"
	"net"
	"testing"
)

// TestPublishRoundTrip writes PUBLISH packets with one Conn and reads them
// with another, over a pipe, for both versions.
func TestPublishRoundTrip(t *testing.T) {
	for _, v := range []byte{4, 5} {
		a, b := net.Pipe()
		w := &Conn{conn: a, version: v}
		r := &Conn{conn: b, r: bufio.NewReaderSize(b, 4096), version: v}
		big := make([]byte, 10000) // larger than the reader's buffer
		go func() {
			for _, p := range [][]byte{[]byte("hello"), big} {
				if err := w.Publish("a/topic", p); err != nil {
					t.Error(err)
				}
			}
			a.Close()
		}()
		for _, want := range []int{5, len(big)} {
			typ, body, err := r.ReadPacket()
			if err != nil || typ != TypePublish {
				t.Fatalf("v%d: read %#x, %v", v, typ, err)
			}
			topic, p, err := r.PublishPayload(typ, body)
			if err != nil || string(topic) != "a/topic" || len(p) != want {
				t.Fatalf("v%d: topic %q payload %d bytes, %v", v, topic, len(p), err)
			}
		}
		b.Close()
	}
}

func TestPublishPayloadQoS1WithProperties(t *testing.T) {
	c := &Conn{version: 5}
	// topic "t", packet id 7, 2 bytes of properties, payload "xy"
	body := []byte{0, 1, 't', 0, 7, 2, 0x01, 0x01, 'x', 'y'}
	topic, p, err := c.PublishPayload(TypePublish|0x02, body)
	if err != nil || string(topic) != "t" || string(p) != "xy" {
		t.Fatalf("got %q %q %v", topic, p, err)
	}
	if _, _, err := c.PublishPayload(TypePublish, []byte{0, 9, 't'}); err == nil {
		t.Fatal("short packet accepted")
	}
}
