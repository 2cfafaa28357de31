package mqtt

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/mochi-mqtt/server/v2/packets"
)

// handle runs one complete packet. A packet the codec cannot read, even one
// that makes it panic, is a protocol error that closes the connection.
func (c *Conn) handle(fh packets.FixedHeader, body []byte) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = c.protocolError(fmt.Errorf("undecodable %d packet: %v", fh.Type, p))
		}
	}()
	if c.session == nil {
		if fh.Type != packets.Connect {
			return c.protocolError(packets.ErrProtocolViolationRequireFirstConnect)
		}
		// The CONNECT's work (decoding, opening the session) needs a deep
		// stack, which would stay with the reader for as long as the client
		// is idle: it runs on a goroutine of its own, whose stack goes back
		// to the runtime at once.
		done := make(chan error, 1)
		go func() { done <- c.connectRecovered(fh, body) }()
		return <-done
	}
	switch fh.Type {
	case packets.Publish:
		return c.publish(fh, body)
	case packets.Pubrel:
		return c.pubrel(body)
	case packets.Subscribe:
		return c.subscribe(fh, body)
	case packets.Unsubscribe:
		return c.unsubscribe(fh, body)
	case packets.Pingreq:
		c.out.deliver([]byte{packets.Pingresp << 4, 0})
		return nil
	case packets.Disconnect:
		if c.version < 5 || len(body) == 0 || body[0] != 0x04 { // 0x04: disconnect with will
			c.graceful = true
		}
		return ErrClientGone
	case packets.Puback, packets.Pubrec, packets.Pubcomp:
		return nil // the server sends QoS 0 only: nothing to acknowledge
	case packets.Connect:
		return c.protocolError(packets.ErrProtocolViolationSecondConnect)
	default:
		return c.protocolError(packets.ErrProtocolViolation)
	}
}

// connectRecovered is connect with a malformed CONNECT's panic turned into
// a protocol error.
func (c *Conn) connectRecovered(fh packets.FixedHeader, body []byte) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = c.protocolError(fmt.Errorf("undecodable CONNECT: %v", p))
		}
	}()
	return c.connect(fh, body)
}

// publish handles a PUBLISH: a request, or with allowPubSub a plain
// publish; anything else the topic rules forbid closes the connection.
func (c *Conn) publish(fh packets.FixedHeader, body []byte) error {
	pk := packets.Packet{FixedHeader: fh, ProtocolVersion: c.version}
	if err := pk.PublishDecode(body); err != nil {
		return c.protocolError(err)
	}
	if code := pk.PublishValidate(0); code != packets.CodeSuccess {
		return c.protocolError(code)
	}
	if fh.Qos == 2 {
		if _, dup := c.qos2[pk.PacketID]; dup {
			c.ack(packets.Pubrec, pk.PacketID) // already handled: acknowledge again
			return nil
		}
		if len(c.qos2) >= c.srv.cfg.ReceiveMaximum {
			return c.protocolError(packets.ErrReceiveMaximum)
		}
	}
	switch {
	case pk.TopicName == c.srv.cfg.RequestTopic:
		if !c.request(&pk) {
			return ErrClientGone
		}
	case c.srv.publishAllowed(pk.TopicName):
		c.srv.router.publish(c, strings.Clone(pk.TopicName), pk.Payload, fh.Retain)
	default:
		c.srv.stats.forbidden.Add(1)
		c.srv.log.Info("forbidden publish: closing the connection", "client", c.id, "topic", strings.Clone(pk.TopicName))
		c.sendDisconnect(packets.ErrNotAuthorized.Code)
		return causeForbidden
	}
	switch fh.Qos {
	case 1:
		c.ack(packets.Puback, pk.PacketID)
	case 2:
		if c.qos2 == nil {
			c.qos2 = map[uint16]struct{}{}
		}
		c.qos2[pk.PacketID] = struct{}{}
		c.ack(packets.Pubrec, pk.PacketID)
	}
	return nil
}

// pubrel releases a QoS 2 publish.
func (c *Conn) pubrel(body []byte) error {
	if len(body) < 2 {
		return c.protocolError(packets.ErrMalformedPacketID)
	}
	id := binary.BigEndian.Uint16(body)
	delete(c.qos2, id)
	c.ack(packets.Pubcomp, id)
	return nil
}

// ack writes a PUBACK, PUBREC or PUBCOMP (success, no properties).
func (c *Conn) ack(kind byte, id uint16) {
	c.out.deliver([]byte{kind << 4, 2, byte(id >> 8), byte(id)})
}

// subscribe answers a SUBSCRIBE: each filter is refused, granted as a
// realtime channel (when the session says so) or as a plain topic. Every
// subscription is delivered at QoS 0, so QoS 0 is what is granted.
func (c *Conn) subscribe(fh packets.FixedHeader, body []byte) error {
	pk := packets.Packet{FixedHeader: fh, ProtocolVersion: c.version}
	if err := pk.SubscribeDecode(body); err != nil {
		return c.protocolError(err)
	}
	if code := pk.SubscribeValidate(); code != packets.CodeSuccess {
		return c.protocolError(code)
	}
	codes := make([]byte, len(pk.Filters))
	var retained []packets.Subscription
	for i, sub := range pk.Filters {
		sub.Filter = strings.Clone(sub.Filter) // the codec's strings share the read buffer
		code, plain := c.grant(sub.Filter)
		codes[i] = code
		if plain && code == 0 {
			retained = append(retained, sub)
		}
	}
	c.ackWithCodes(packets.Suback, pk.PacketID, codes)
	for _, sub := range retained {
		if sub.RetainHandling == 0 {
			c.srv.router.sendRetained(c, sub.Filter)
		}
	}
	return nil
}

// grant decides one subscription; plain tells a plain topic's.
func (c *Conn) grant(topic string) (code byte, plain bool) {
	refused := byte(0x80)
	if c.version == 5 {
		refused = packets.ErrNotAuthorized.Code
	}
	switch {
	case !c.srv.subscribable(topic):
		return refused, false
	case c.srv.handler.Reserved(topic):
		if c.session.Subscribe(topic) {
			return 0, false
		}
		return refused, false
	}
	if !c.srv.router.wants(topic) {
		return 0, true // nothing can be published there: nothing to record
	}
	if _, ok := c.subs[topic]; !ok && len(c.subs) >= c.srv.cfg.MaxSubscriptions {
		c.srv.stats.subscriptionsRefused.Add(1)
		c.srv.log.Info("subscription refused: too many subscriptions", "client", c.id, "limit", c.srv.cfg.MaxSubscriptions)
		if c.version == 5 {
			return packets.ErrQuotaExceeded.Code, false
		}
		return 0x80, false
	}
	if c.subs == nil {
		c.subs = map[string]struct{}{}
	}
	c.subs[topic] = struct{}{}
	c.srv.router.subscribe(c, topic)
	return 0, true
}

// ackWithCodes writes a SUBACK or UNSUBACK: the packet id, for MQTT 5 empty
// properties, and one reason code per filter (an MQTT 3.1.1 UNSUBACK has
// none: pass nil).
func (c *Conn) ackWithCodes(kind byte, id uint16, codes []byte) {
	props := 0
	if c.version == 5 {
		props = 1
	}
	packet := appendHeader(make([]byte, 0, 8+len(codes)), kind<<4, 2+props+len(codes))
	packet = binary.BigEndian.AppendUint16(packet, id)
	if props == 1 {
		packet = append(packet, 0)
	}
	c.out.deliver(append(packet, codes...))
}

// unsubscribe answers an UNSUBSCRIBE.
func (c *Conn) unsubscribe(fh packets.FixedHeader, body []byte) error {
	pk := packets.Packet{FixedHeader: fh, ProtocolVersion: c.version}
	if err := pk.UnsubscribeDecode(body); err != nil {
		return c.protocolError(err)
	}
	if code := pk.UnsubscribeValidate(); code != packets.CodeSuccess {
		return c.protocolError(code)
	}
	var codes []byte // success for every filter; none in MQTT 3.1.1
	if c.version == 5 {
		codes = make([]byte, len(pk.Filters))
	}
	for _, sub := range pk.Filters {
		sub.Filter = strings.Clone(sub.Filter)
		if _, ok := c.subs[sub.Filter]; ok {
			delete(c.subs, sub.Filter)
			c.srv.router.unsubscribe(c, sub.Filter)
		} else {
			c.session.Unsubscribe(sub.Filter)
		}
	}
	c.ackWithCodes(packets.Unsuback, pk.PacketID, codes)
	return nil
}

// appendHeader appends a fixed header: the first byte and the remaining
// length.
func appendHeader(dst []byte, first byte, remaining int) []byte {
	return appendVarint(append(dst, first), remaining)
}

// publishAllowed reports whether a client may publish on topic, or leave
// a will there: only with allowPubSub, and never on the request or
// response topics, a realtime channel, a $ topic or with wildcards.
func (s *Server) publishAllowed(topic string) bool {
	return s.cfg.AllowPubSub && topic != "" &&
		topic != s.cfg.RequestTopic && topic != s.cfg.ResponseTopic &&
		!strings.HasPrefix(topic, "$") && !strings.ContainsAny(topic, "#+") &&
		!s.handler.Reserved(topic)
}

// subscribable reports whether a client may subscribe to filter at all:
// not the request topic, no wildcard, no shared subscription.
func (s *Server) subscribable(filter string) bool {
	return filter != "" && filter != s.cfg.RequestTopic &&
		!strings.HasPrefix(filter, "$share/") && !strings.ContainsAny(filter, "#+")
}

// responseTopicAllowed reports whether an MQTT 5 request may name topic as
// its Response Topic: any topic the client could subscribe to that is not
// a realtime channel or a $ topic.
func (s *Server) responseTopicAllowed(topic string) bool {
	return s.subscribable(topic) && !strings.HasPrefix(topic, "$") && !s.handler.Reserved(topic)
}
