package main

import (
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/jsonx"
)

// subscriber reads a client's notifications on a goroutine of its own and
// passes on the n of each document, in arrival order, until its socket
// fails.
func subscriber(c *rawClient, channel string, capacity int) <-chan int {
	got := make(chan int, capacity)
	go func() {
		defer close(got)
		for {
			typ, body, err := c.next(wait)
			if err != nil {
				return
			}
			topic, payload := splitPublish(body)
			if typ != 0x30 || topic != channel {
				continue
			}
			var note struct {
				Result struct {
					Source struct{ N int } `json:"_source"`
				} `json:"result"`
			}
			if jsonx.Unmarshal(payload, &note) != nil {
				note.Result.Source.N = -1
			}
			got <- note.Result.Source.N
		}
	}()
	return got
}

// TestSlowSubscriberMemoryBounded: 100 KB notifications to a subscriber
// that stopped reading cost the server about maxPendingBytes, not
// maxPendingNotifications of them; the subscriber is disconnected and a
// subscriber that reads gets every notification.
func TestSlowSubscriberMemoryBounded(t *testing.T) {
	p := start(t, mqttEnv(
		"maxPendingBytes=4MB",
		"maxPendingNotifications=100000", // the byte bound is the one that acts
		"writeTimeout=60000",             // and not the write timeout
	))
	addr := p.address(t)
	stuck := dialRaw(t, addr, "stuck", true)
	channel := stuck.subscribeChannel(t, `{}`)
	// From here on the stuck client reads nothing.
	good := dialRaw(t, addr, "good", false)
	if ch := good.subscribeChannel(t, `{}`); ch != channel {
		t.Fatalf("the same filter gave channels %s and %s", channel, ch)
	}
	publisher := dialRaw(t, addr, "publisher", false)
	baseline := p.peakRSS(t)

	const notifications, size = 400, 100 << 10 // 40 MB in all
	received := subscriber(good, channel, notifications)
	pad := padding(size)
	next := 0 // the next n the good subscriber must get
	await := func() {
		select {
		case n, ok := <-received:
			if !ok {
				t.Fatalf("the good subscriber's connection closed after %d notifications", next)
			}
			if n != next {
				t.Fatalf("the good subscriber got notification %d, want %d", n, next)
			}
			next++
		case <-time.After(wait):
			t.Fatalf("the good subscriber got %d notifications, then nothing for %s", next, wait)
		}
	}
	for n := range notifications {
		// The good subscriber reads as fast as it can; the publisher keeps
		// at most 8 notifications (800 KB) ahead of it, so that its queue
		// never nears the bound on a busy machine.
		for n-next >= 8 {
			await()
		}
		publisher.notify(t, n, pad)
	}
	for next < notifications {
		await()
	}

	left := stuck.drainUntilClosed(t, wait)
	m := publisher.awaitMetrics(t, "the stuck client gone", func(m mqttMetrics) bool { return m.connections() == 2 })
	if m.Refused["mqtt.maxPending"] != 1 || len(m.Refused) != 1 {
		t.Fatalf("the stuck client must be the one client cut for its queue: %+v", m)
	}
	peak := p.peakRSS(t)
	t.Logf("peak RSS %.1f MB, %.1f MB over the %.1f MB baseline, after %d notifications of %d KB; %d bytes left in the stuck client's socket",
		mb(peak), mb(peak-baseline), mb(baseline), notifications, size>>10, left)
	// What the server may hold: the stuck client's queue (4 MB) and the good
	// one's (800 KB at most), a few requests and notifications being
	// encoded (100 KB each), all of it doubled by the garbage collector's
	// headroom (GOGC=100), and more again under the race detector: 10 to
	// 17 MB measured, 32 to 42 MB with -race, as much after 120 MB of
	// notifications as after 40. 64 MB is generous and still far from what
	// a bound in packets alone allowed, maxPendingNotifications of them:
	// 8,192 such notifications are 830 MB.
	if peak-baseline > 64<<20 {
		t.Fatalf("peak RSS %.1f MB over the baseline: the 4 MB queue bound did not hold", mb(peak-baseline))
	}
}

// TestTotalPendingBytesBound: two stuck subscribers, each allowed 7 MB,
// cannot together pass maxTotalPendingBytes (8 MB): one is disconnected
// before either reaches its own bound.
//
// Why 7 MB: each socket may take up to 4 MB (tcp_wmem's maximum) before
// its queue starts, so the two queues may differ by that much. A queue
// reaches its own bound first only if it leads the other by more than
// 2×7−8 = 6 MB.
func TestTotalPendingBytesBound(t *testing.T) {
	p := start(t, mqttEnv(
		"maxPendingBytes=7MB",
		"maxTotalPendingBytes=8MB",
		"maxPendingNotifications=100000",
		"writeTimeout=60000",
	))
	addr := p.address(t)
	stuck := []*rawClient{dialRaw(t, addr, "stuck-1", true), dialRaw(t, addr, "stuck-2", true)}
	for _, c := range stuck {
		c.subscribeChannel(t, `{}`)
	}
	publisher := dialRaw(t, addr, "publisher", false)

	const size = 100 << 10
	pad := padding(size)
	var m mqttMetrics
	// Each stuck queue grows by 100 KB a notification: about 30 more are
	// needed from the moment the total bound acts (about 4 MB each) to the
	// moment a queue could reach 7 MB. Looking after every notification
	// sees the first cut before a second could happen.
	for n := 0; len(m.Refused) == 0; n++ {
		if n == 400 {
			t.Fatalf("nobody disconnected after 40 MB of notifications: %+v", m)
		}
		publisher.notify(t, n, pad)
		m = publisher.metrics(t)
		if q := m.queuedBytes(); q > 8<<20 {
			t.Fatalf("%d bytes queued, over maxTotalPendingBytes", q)
		}
	}
	if m.Refused["mqtt.maxTotalPendingBytes"] != 1 || len(m.Refused) != 1 {
		t.Fatalf("one stuck client must be cut by the total bound, before any reaches its own: %+v", m)
	}
	queued := m.queuedBytes()
	// One of the two sockets is closed by the server.
	closed := make(chan int, len(stuck))
	for i, c := range stuck {
		go func() {
			if _, ok := c.drain(wait); ok {
				closed <- i
			}
		}()
	}
	select {
	case i := <-closed:
		t.Logf("stuck-%d disconnected by the total bound; %.1f MB queued after", i+1, mb(queued))
	case <-time.After(wait):
		t.Fatal("no stuck client's socket was closed")
	}
	m = publisher.awaitMetrics(t, "one stuck client gone", func(m mqttMetrics) bool { return m.connections() == 2 })
	if len(m.Refused) != 1 {
		t.Fatalf("one client only was cut: %+v", m)
	}
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }
