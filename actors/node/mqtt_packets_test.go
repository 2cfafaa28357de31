package node_test

import (
	"testing"

	"github.com/starlingmq/starling/internal/config"
)

func TestPacketTooLargeAnnounced(t *testing.T) {
	// maxRequestSize 1024 makes the largest packet 65 KiB + 1 KiB; 1 MiB is
	// announced, a few bytes sent, and the server must not wait for more.
	srv := startServer(t, func(c *config.Config) { c.Server.MaxRequestSize = 1024 })
	keeper := connect3(t, srv.addr)
	announce := func(first byte) []byte {
		return append(appendVarint([]byte{first}, 1<<20), 0, 14, 'K', 'u', 'z', 'z', 'l', 'e')
	}
	for _, v := range wireVersions {
		t.Run(v.name, func(t *testing.T) {
			w := dialWire(t, srv.addr, v.version)
			w.mustConnect(connectOptions{})
			w.send(announce(pkPublish))
			w.expectDisconnect(0x95) // packet too large

			w = dialWire(t, srv.addr, v.version)
			w.send(announce(pkConnect)) // before CONNECT: no DISCONNECT
			if got := w.expectClosed(); len(got) > 0 {
				t.Fatalf("packets after an oversized CONNECT: %v", got)
			}
		})
	}
	roundTrip(t, keeper)
}

func TestMalformedPacketsClose(t *testing.T) {
	srv := startServer(t, nil)
	keeper := connect5(t, srv.addr)
	// props is the empty property list MQTT 5 packets have.
	props := func(version byte) []byte {
		if version == 5 {
			return []byte{0}
		}
		return nil
	}
	subscribe := func(version byte, rest ...byte) []byte {
		return frame(pkSubscribe|0x02, append(append([]byte{0, 1}, props(version)...), rest...))
	}
	tests := []struct {
		name    string
		connect bool // sent after a CONNECT
		packet  func(version byte) []byte
	}{
		{"reserved packet type", true, func(byte) []byte { return []byte{0x00, 0} }},
		{"remaining length over 4 bytes", true, func(byte) []byte { return []byte{pkPublish, 0xff, 0xff, 0xff, 0xff, 0x01} }},
		{"SUBSCRIBE with bad flags", true, func(byte) []byte { return []byte{pkSubscribe | 0x03, 0} }},
		{"SUBSCRIBE without filters", true, func(v byte) []byte { return subscribe(v) }},
		{"SUBSCRIBE cut in a filter", true, func(v byte) []byte { return subscribe(v, 0, 10, 'a', 'b', 'c') }},
		{"SUBSCRIBE without options", true, func(v byte) []byte { return subscribe(v, 0, 3, 'a', 'b', 'c') }},
		{"PUBLISH cut in its topic", true, func(byte) []byte { return frame(pkPublish, []byte{0, 16, 'a'}) }},
		{"second CONNECT", true, func(byte) []byte { return frame(pkConnect, appendString(nil, "MQTT")) }},
		{"PINGREQ before CONNECT", false, func(byte) []byte { return []byte{pkPingreq, 0} }},
		{"CONNECT cut in its client id", false, func(v byte) []byte {
			body := append(appendString(nil, "MQTT"), v, 0x02, 0, 0)
			return frame(pkConnect, append(append(body, props(v)...), 0, 20, 'i'))
		}},
	}
	for _, v := range wireVersions {
		t.Run(v.name, func(t *testing.T) {
			for _, tt := range tests {
				w := dialWire(t, srv.addr, v.version)
				if tt.connect {
					w.mustConnect(connectOptions{})
				}
				w.send(tt.packet(v.version))
				got := w.expectClosed()
				switch {
				case !tt.connect && v.version == 5 && len(got) == 1 && got[0].kind == pkConnack && got[0].code() >= 0x80:
				case !tt.connect || v.version < 5:
					if len(got) > 0 {
						t.Fatalf("%s: packets before the close: %v", tt.name, got)
					}
				case len(got) != 1 || got[0].kind != pkDisconnect || got[0].code() < 0x80:
					t.Fatalf("%s: want a DISCONNECT with an error reason, got %v", tt.name, got)
				}
			}
		})
	}
	// The server serves the others as before, and new clients.
	roundTrip(t, keeper)
	roundTrip(t, connect3(t, srv.addr))
}
