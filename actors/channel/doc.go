// Package channel owns the channel actors: one per Kuzzle realtime channel
// that has had a subscriber (the rooms actor spawns it then), holding the
// MQTT clients subscribed to the channel's topic and fanning notifications
// out to them.
//
// A notification reaches the actor already encoded as JSON, once for every
// channel it goes to; the actor wraps it into one MQTT PUBLISH packet per
// protocol version, in buffers it reuses, and hands the same bytes to every
// subscriber, which writes them at once when its socket takes them or
// queues a copy in its bounded queue. A subscriber that cannot keep up is
// disconnected by its queue; the others are not slowed.
//
// channel imports internal/jsonx and protoactor only.
package channel
