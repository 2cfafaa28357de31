package mqtt

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mochi-mqtt/server/v2/packets"
)

// TestEncodePublish checks our PUBLISH bytes against mochi's decoder for
// every remaining-length size class.
func TestEncodePublish(t *testing.T) {
	for _, version := range []byte{4, 5} {
		for _, size := range []int{0, 10, 116, 117, 118, 200, 16_372, 16_373, 16_374, 20_000, 3_000_000} {
			payload := []byte(strings.Repeat("x", size))
			out := EncodePublish("room-311", payload, version)
			var fh packets.FixedHeader
			if err := fh.Decode(out[0]); err != nil {
				t.Fatal(err)
			}
			n, lenBytes := 0, 0
			for mult := 1; ; mult *= 128 {
				b := out[1+lenBytes]
				n += int(b&0x7f) * mult
				lenBytes++
				if b&0x80 == 0 {
					break
				}
			}
			if n != len(out)-1-lenBytes {
				t.Fatalf("v%d size %d: remaining length %d, want %d", version, size, n, len(out)-1-lenBytes)
			}
			pk := packets.Packet{FixedHeader: fh, ProtocolVersion: version}
			pk.FixedHeader.Remaining = n
			if err := pk.PublishDecode(out[1+lenBytes:]); err != nil {
				t.Fatalf("v%d size %d: %v", version, size, err)
			}
			if fh.Type != packets.Publish || pk.TopicName != "room-311" || !bytes.Equal(pk.Payload, payload) || fh.Qos != 0 {
				t.Fatalf("v%d size %d: decoded %+v", version, size, pk.FixedHeader)
			}
			if cap(out) != len(out) {
				t.Errorf("v%d size %d: %d bytes allocated for %d", version, size, cap(out), len(out))
			}
			if appended := AppendPublish([]byte("prefix"), "room-311", payload, version); !bytes.Equal(appended[len("prefix"):], out) {
				t.Errorf("v%d size %d: AppendPublish differs from EncodePublish", version, size)
			}
		}
	}
}
