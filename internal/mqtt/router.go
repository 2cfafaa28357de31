package mqtt

import (
	"bytes"
	"sync"
	"sync/atomic"
)

// router delivers plain publishes (with allowPubSub) and development-mode
// answers to the clients subscribed to their topic, and keeps the retained
// messages. Subscriptions never hold wildcards (the topic rules refuse
// them), so a topic's subscribers are found by its name.
//
// Every delivery goes through the subscriber's Deliver, the path realtime
// notifications take: the same queue bounds, the same Maximum Packet Size.
type router struct {
	srv *Server

	mu   sync.RWMutex
	subs map[string]map[*Conn]struct{}

	retainMu      sync.Mutex
	retained      map[string][]byte // topic → payload
	retainedBytes int
	full          atomic.Bool // the retained store refused a message since it last had room
}

func newRouter(s *Server) *router {
	return &router{srv: s, subs: map[string]map[*Conn]struct{}{}, retained: map[string][]byte{}}
}

// wants reports whether subscriptions to topic must be recorded: only
// topics something may be published on.
func (r *router) wants(topic string) bool {
	cfg := &r.srv.cfg
	return cfg.AllowPubSub || (cfg.BroadcastResponses && topic == cfg.ResponseTopic)
}

// subscribe adds c to topic's subscribers.
func (r *router) subscribe(c *Conn, topic string) {
	r.mu.Lock()
	set := r.subs[topic]
	if set == nil {
		set = map[*Conn]struct{}{}
		r.subs[topic] = set
	}
	set[c] = struct{}{}
	r.mu.Unlock()
}

// unsubscribe removes c from topic's subscribers.
func (r *router) unsubscribe(c *Conn, topic string) {
	r.mu.Lock()
	r.removeLocked(c, topic)
	r.mu.Unlock()
}

// unsubscribeAll removes a departed client's subscriptions.
func (r *router) unsubscribeAll(c *Conn) {
	if len(c.subs) == 0 {
		return
	}
	r.mu.Lock()
	for topic := range c.subs {
		r.removeLocked(c, topic)
	}
	r.mu.Unlock()
}

func (r *router) removeLocked(c *Conn, topic string) {
	if set := r.subs[topic]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(r.subs, topic)
		}
	}
}

// publish delivers a client's plain publish, and keeps it when retained.
func (r *router) publish(from *Conn, topic string, payload []byte, retain bool) {
	if retain {
		r.retain(from, topic, payload)
	}
	r.broadcast(topic, payload)
}

// publishWill publishes a departed client's will, if its topic is still
// one the client may publish on (a channel may have taken the name since).
func (r *router) publishWill(c *Conn, w *will) {
	if !r.srv.publishAllowed(w.topic) {
		r.srv.stats.willRefused.Add(1)
		return
	}
	r.publish(c, w.topic, w.payload, w.retain)
}

// broadcast delivers payload on topic to every subscriber of topic,
// encoding it once per protocol version.
func (r *router) broadcast(topic string, payload []byte) {
	var encoded [6][]byte // by protocol version
	r.mu.RLock()
	defer r.mu.RUnlock()
	for c := range r.subs[topic] {
		v := c.version
		if encoded[v] == nil {
			encoded[v] = EncodePublish(topic, payload, v)
		}
		c.Deliver(encoded[v])
	}
}

// sendRetained delivers topic's retained message to a new subscriber.
func (r *router) sendRetained(c *Conn, topic string) {
	r.retainMu.Lock()
	payload, ok := r.retained[topic]
	r.retainMu.Unlock()
	if ok {
		packet := EncodePublish(topic, payload, c.version)
		packet[0] |= 0x01 // RETAIN: sent because of a subscription
		c.Deliver(packet)
	}
}

// retain stores or, for an empty payload, removes topic's retained
// message, within MaxRetainedMessages and MaxRetainedBytes; a message that
// does not fit is delivered but not kept, and logged once until there is
// room again.
func (r *router) retain(from *Conn, topic string, payload []byte) {
	cfg := &r.srv.cfg
	r.retainMu.Lock()
	defer r.retainMu.Unlock()
	old, had := r.retained[topic]
	if len(payload) == 0 {
		if had {
			delete(r.retained, topic)
			r.retainedBytes -= len(topic) + len(old)
		}
		return
	}
	size := len(topic) + len(payload)
	count, bytesAfter := len(r.retained), r.retainedBytes+size
	if had {
		bytesAfter -= len(topic) + len(old)
	} else {
		count++
	}
	if count > cfg.MaxRetainedMessages || bytesAfter > cfg.MaxRetainedBytes {
		r.srv.stats.retainedRefused.Add(1)
		if !r.full.Swap(true) {
			r.srv.log.Warn("retained messages full: new retained messages are delivered but not kept",
				"client", from.id, "topic", topic, "messages", len(r.retained), "bytes", r.retainedBytes,
				"maxRetainedMessages", cfg.MaxRetainedMessages, "maxRetainedBytes", cfg.MaxRetainedBytes)
		}
		return
	}
	r.full.Store(false)
	r.retained[topic] = bytes.Clone(payload)
	r.retainedBytes = bytesAfter
}

// retainedStats returns the retained messages' count and bytes.
func (r *router) retainedStats() (count, size int) {
	r.retainMu.Lock()
	defer r.retainMu.Unlock()
	return len(r.retained), r.retainedBytes
}
