package mqtt

import (
	"bytes"
	"cmp"
	"fmt"
	"strings"

	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/kerror"
)

// Reply is where one request's answer goes: privately to the client that
// sent it, on the response topic, or on the MQTT 5 Response Topic the
// request named, with the request's Correlation Data. It is safe for use
// from any goroutine; Respond is called once.
type Reply struct {
	conn        *Conn
	topic       string // "": the response topic
	correlation []byte
	size        int // the request's bytes, counted in flight until answered
}

// request hands a request to the session, once the client's requests in
// flight leave room for it. It returns false when the connection closed
// while waiting.
func (c *Conn) request(pk *packets.Packet) bool {
	cfg := &c.srv.cfg
	size := len(pk.Payload)
	// The answers that free room may wait in the corked outbox.
	if !c.inflight.acquire(size, cfg.MaxInflightRequests, cfg.MaxInflightBytes, c.out.uncork) {
		return false
	}
	r := &Reply{conn: c, size: size}
	if c.version == 5 {
		if len(pk.Properties.CorrelationData) > 0 {
			r.correlation = bytes.Clone(pk.Properties.CorrelationData)
		}
		if t := pk.Properties.ResponseTopic; t != "" {
			if !c.srv.responseTopicAllowed(t) {
				c.srv.stats.responseTopicRefused.Add(1)
				_ = r.Respond(c.srv.failure(pk.Payload, fmt.Sprintf("Response Topic %q is not allowed", t), true))
				return true
			}
			r.topic = strings.Clone(t) // the codec's strings share the read buffer
		}
	}
	c.session.Request(bytes.Clone(pk.Payload), r)
	return true
}

// Respond delivers an answer payload. The payload is the caller's again
// when Respond returns. An answer over the client's Maximum Packet Size
// becomes a Kuzzle error answer that fits; when not even that fits, the
// client is disconnected with reason 0x95 (packet too large).
func (r *Reply) Respond(payload []byte) error {
	c := r.conn
	defer c.inflight.release(r.size)
	s := c.srv
	if s.cfg.BroadcastResponses && r.topic == "" {
		s.router.broadcast(s.cfg.ResponseTopic, payload)
		return nil
	}
	topic := cmp.Or(r.topic, s.cfg.ResponseTopic)
	buf := s.answers.Get().(*[]byte)
	packet := appendAnswer((*buf)[:0], topic, payload, c.version, r.correlation)
	if c.maxOut > 0 && len(packet) > c.maxOut {
		packet = c.shrink(packet[:0], topic, payload, r.correlation, len(packet))
	}
	delivered := packet != nil && c.out.deliver(packet)
	if packet != nil && cap(packet) <= maxPooledPacket {
		*buf = packet[:0]
		s.answers.Put(buf)
	}
	if !delivered {
		return ErrClientGone
	}
	return nil
}

// shrink replaces an answer too large for the client by an error answer
// to the same request, appended to dst; nil when none fits, after the
// client was disconnected.
func (c *Conn) shrink(dst []byte, topic string, payload, correlation []byte, size int) []byte {
	s := c.srv
	s.stats.answersTooLarge.Add(1)
	message := fmt.Sprintf("response of %d bytes exceeds the client's Maximum Packet Size (%d bytes)", size, c.maxOut)
	for _, keepVolatile := range []bool{true, false} {
		packet := appendAnswer(dst, topic, s.failure(payload, message, keepVolatile), c.version, correlation)
		if len(packet) <= c.maxOut {
			return packet
		}
		dst = packet[:0]
	}
	s.log.Info("answer too large for the client's Maximum Packet Size: disconnecting",
		"client", c.id, "size", size, "limit", c.maxOut)
	c.Close(packets.ErrPacketTooLarge.Code)
	return nil
}

// failure builds the error answer network.mqtt.unexpected_error to the
// request (or answer) JSON in payload, keeping its requestId, controller,
// action, index, collection and, if asked, volatile.
func (s *Server) failure(payload []byte, message string, keepVolatile bool) []byte {
	req, _ := api.Parse(payload, api.Connection{})
	if !keepVolatile {
		req.Volatile = nil
	}
	out, err := api.Failure(req, kerror.New("network.mqtt.unexpected_error", message), s.cfg.Node).AppendJSON(nil)
	if err != nil {
		return []byte(`{"status":400}`)
	}
	return out
}
