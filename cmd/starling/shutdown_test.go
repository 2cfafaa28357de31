package main

import (
	"testing"
	"time"
)

// mqttEnv is the environment of a starling on a free loopback port, with
// server.protocols.mqtt keys set as key=value.
func mqttEnv(keys ...string) []string {
	env := []string{
		"kuzzle_server__protocols__mqtt__server__host=127.0.0.1",
		"kuzzle_server__protocols__mqtt__server__port=0",
	}
	for _, kv := range keys {
		env = append(env, "kuzzle_server__protocols__mqtt__"+kv)
	}
	return env
}

// TestShutdownWithStuckSubscriber: a subscriber whose socket is full and
// whose queue holds packets cannot hold the process past shutdownTimeout
// after SIGTERM, although each of its writes may wait a minute.
func TestShutdownWithStuckSubscriber(t *testing.T) {
	const shutdownTimeout = 2 * time.Second
	env := mqttEnv(
		"shutdownTimeout=2000",
		"writeTimeout=60000",   // only the shutdown bound can end the stuck write
		"maxPendingBytes=64MB", // the stuck client is not cut as slow first
	)
	// Built with -race, the binary would sleep 1 s more before exiting.
	p := start(t, append(env, "GORACE=atexit_sleep_ms=0"))
	addr := p.address(t)
	stuck := dialRaw(t, addr, "stuck", true)
	stuck.subscribeChannel(t, `{}`)
	// From here on the stuck client reads nothing.

	publisher := dialRaw(t, addr, "publisher", false)
	const notifications, size = 300, 64 << 10
	pad := padding(size)
	for n := range notifications {
		publisher.notify(t, n, pad)
	}
	// Most of the 19 MB cannot fit in the two sockets' buffers: they wait
	// in the stuck client's queue, behind a write blocked on its socket.
	m := publisher.awaitMetrics(t, "notifications queued for the stuck client", func(m mqttMetrics) bool {
		return m.queuedBytes() >= notifications*size/2
	})
	if m.connections() != 2 || len(m.Refused) != 0 {
		t.Fatalf("the stuck client must still be connected, nothing refused: %+v", m)
	}

	code, elapsed, out := p.terminate(t, shutdownTimeout+3*time.Second)
	t.Logf("%d bytes queued for the stuck client; exit %d, %s after SIGTERM (shutdownTimeout %s)",
		m.queuedBytes(), code, elapsed.Round(time.Millisecond), shutdownTimeout)
	if code != 0 {
		t.Fatalf("exit status %d after SIGTERM:\n%s", code, out)
	}
	// The stuck client's queue cannot be written: the shutdown waited for
	// it until the bound, then dropped it.
	if elapsed < shutdownTimeout {
		t.Fatalf("exited after %s, before shutdownTimeout: the stuck queue was not waited for", elapsed)
	}
}
