package mqtt

import "sync/atomic"

// counters are the server's refusal counters, each bumped where the
// refusal happens.
type counters struct {
	connectionsRefused   atomic.Int64
	willRefused          atomic.Int64
	forbidden            atomic.Int64
	slow                 atomic.Int64
	totalFull            atomic.Int64
	tooLarge             atomic.Int64
	answersTooLarge      atomic.Int64
	packetsTooLarge      atomic.Int64
	idle                 atomic.Int64
	subscriptionsRefused atomic.Int64
	retainedRefused      atomic.Int64
	responseTopicRefused atomic.Int64
	authRefused          atomic.Int64
}

// Stats is a snapshot of the server's gauges and refusal counters.
type Stats struct {
	// Clients is the number of connected clients.
	Clients int
	// QueuedBytes is what every client's queue holds together.
	QueuedBytes int64
	// RetainedMessages and RetainedBytes measure the retained store.
	RetainedMessages int
	RetainedBytes    int
	// Refused counts refusals since start, by reason.
	Refused map[string]int64
}

// Stats returns the server's gauges and counters.
func (s *Server) Stats() Stats {
	count, size := s.router.retainedStats()
	c := &s.stats
	return Stats{
		Clients:          s.Clients(),
		QueuedBytes:      s.queued.Load(),
		RetainedMessages: count,
		RetainedBytes:    size,
		Refused: map[string]int64{
			"mqtt.maxConnections":         c.connectionsRefused.Load(),
			"mqtt.forbiddenWill":          c.willRefused.Load(),
			"mqtt.forbiddenPublish":       c.forbidden.Load(),
			"mqtt.maxPending":             c.slow.Load(),
			"mqtt.maxTotalPendingBytes":   c.totalFull.Load(),
			"mqtt.packetTooLarge":         c.tooLarge.Load(),
			"mqtt.answerTooLarge":         c.answersTooLarge.Load(),
			"mqtt.notificationTooLarge":   c.packetsTooLarge.Load(),
			"mqtt.idleTimeout":            c.idle.Load(),
			"mqtt.maxSubscriptions":       c.subscriptionsRefused.Load(),
			"mqtt.maxRetained":            c.retainedRefused.Load(),
			"mqtt.forbiddenResponseTopic": c.responseTopicRefused.Load(),
			"mqtt.authenticationRefused":  c.authRefused.Load(),
		},
	}
}

// Deliver queues one encoded packet for the client without blocking; the
// packet is the caller's again when Deliver returns. It returns false when
// the client is gone, or was just disconnected for falling behind. A
// packet over the client's Maximum Packet Size is not sent, as MQTT 5
// requires, and counted.
func (c *Conn) Deliver(packet []byte) bool {
	if c.maxOut > 0 && len(packet) > c.maxOut {
		c.srv.stats.packetsTooLarge.Add(1)
		return !c.Closed()
	}
	return c.out.deliver(packet)
}
