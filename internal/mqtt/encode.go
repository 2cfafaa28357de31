package mqtt

import (
	"encoding/binary"
)

// EncodePublish returns the bytes of a QoS 0 PUBLISH packet of payload on
// topic, for the given protocol version (3, 4 or 5). A QoS 0 packet has no
// packet id, so the same bytes serve every subscriber of that version.
func EncodePublish(topic string, payload []byte, version byte) []byte {
	return AppendPublish(make([]byte, 0, publishSize(topic, payload, version)), topic, payload, version)
}

// publishSize is the length of the packet EncodePublish returns.
func publishSize(topic string, payload []byte, version byte) int {
	remaining := publishRemaining(topic, payload, version)
	n := 1 + 1
	for r := remaining; r >= 128; r /= 128 {
		n++
	}
	return n + remaining
}

func publishRemaining(topic string, payload []byte, version byte) int {
	remaining := 2 + len(topic) + len(payload)
	if version == 5 {
		remaining++ // empty properties
	}
	return remaining
}

// AppendPublish appends the packet EncodePublish returns to dst.
func AppendPublish(dst []byte, topic string, payload []byte, version byte) []byte {
	// PUBLISH, QoS 0, no dup, no retain
	dst = appendHeader(dst, 0x30, publishRemaining(topic, payload, version))
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(topic)))
	dst = append(dst, topic...)
	if version == 5 {
		dst = append(dst, 0)
	}
	return append(dst, payload...)
}

// appendAnswer appends a QoS 0 PUBLISH of an answer to dst: for MQTT 5
// with the request's Correlation Data, if it had some.
func appendAnswer(dst []byte, topic string, payload []byte, version byte, correlation []byte) []byte {
	if version != 5 || len(correlation) == 0 {
		return AppendPublish(dst, topic, payload, version)
	}
	props := 1 + 2 + len(correlation) // property id, length, data
	propsLen := 1
	for r := props; r >= 128; r /= 128 {
		propsLen++
	}
	dst = appendHeader(dst, 0x30, 2+len(topic)+propsLen+props+len(payload))
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(topic)))
	dst = append(dst, topic...)
	dst = appendVarint(dst, props)
	dst = append(dst, 0x09) // Correlation Data
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(correlation)))
	dst = append(dst, correlation...)
	return append(dst, payload...)
}

// appendVarint appends an MQTT variable byte integer.
func appendVarint(dst []byte, v int) []byte {
	for {
		b := byte(v % 128)
		v /= 128
		if v > 0 {
			b |= 0x80
		}
		dst = append(dst, b)
		if v == 0 {
			return dst
		}
	}
}
