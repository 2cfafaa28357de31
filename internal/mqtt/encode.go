package mqtt

import (
	"encoding/binary"
	"errors"
)

// ErrClientGone reports a write to a client whose connection is closed.
var ErrClientGone = errors.New("mqtt client connection closed")

// EncodePublish returns the bytes of a QoS 0 PUBLISH packet of payload on
// topic, for the given protocol version (3, 4 or 5). A QoS 0 packet has no
// packet id, so the same bytes serve every subscriber of that version.
func EncodePublish(topic string, payload []byte, version byte) []byte {
	remaining := 2 + len(topic) + len(payload)
	if version == 5 {
		remaining++ // empty properties
	}
	out := make([]byte, 0, 1+4+remaining)
	out = append(out, 0x30) // PUBLISH, QoS 0, no dup, no retain
	for {
		b := byte(remaining % 128)
		remaining /= 128
		if remaining > 0 {
			b |= 0x80
		}
		out = append(out, b)
		if remaining == 0 {
			break
		}
	}
	out = binary.BigEndian.AppendUint16(out, uint16(len(topic)))
	out = append(out, topic...)
	if version == 5 {
		out = append(out, 0)
	}
	return append(out, payload...)
}
