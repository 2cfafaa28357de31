package api

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strings"
	"testing"
)

// scanCases are payloads scanWire must read or give up on exactly as
// encoding/json validates them, escaped keys and deep nesting aside.
var scanCases = []string{
	`{}`, ` { } `, `{"a":1}`, `{"a":-0.5e+10,"b":[true,false,null,"x\"\\\/\b\f\n\r\t\u00e9"]}`,
	`{"body":{"a":{"b":[[],{}]}},"index":"i"}`, "{\"a\":\"\xff\xfe\"}", `{"a":0}`, `{"a":1E5}`,
	`{`, `}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{,}`, `{"a":1 "b":2}`, `{"a":01}`, `{"a":1.}`,
	`{"a":.5}`, `{"a":-}`, `{"a":1e}`, `{"a":+1}`, `{"a":tru}`, `{"a":nul}`, `{"a":"\x"}`,
	`{"a":"\u12"}`, `{"a":"\u12G4"}`, "{\"a\":\"\x01\"}", `{"a":[1,]}`, `{"a":[,1]}`, `{"a":[1 2]}`,
	`{"a":"unterminated}`, `{"a":1}}`, `{"a":1} x`, `{'a':1}`, `{a:1}`, `[]`, `"x"`, `{"a":NaN}`,
	`{"a":[}`, `{"a":{]}`, `{"a":1}{"b":2}`,
}

func TestScanWireValidatesLikeEncodingJSON(t *testing.T) {
	for _, c := range scanCases {
		var w wire
		got, want := scanWire([]byte(c), &w), json.Valid([]byte(c)) && strings.HasPrefix(strings.TrimSpace(c), "{")
		if got != want {
			t.Errorf("%q: scanWire says %v, encoding/json %v", c, got, want)
		}
	}
}

func TestScanWireFields(t *testing.T) {
	var w wire
	payload := `{"requestId":"r","controller":"c","action":"a","jwt":null,"volatile":{"v":[1]},"body":{"x":"}"},` +
		`"index":"i","collection":"k","_id":"d","Controller":"ignored","other":[{"controller":"nested"}],"action":"last"}`
	if !scanWire([]byte(payload), &w) {
		t.Fatal("valid payload refused")
	}
	got := map[string]string{"requestId": string(w.RequestID), "controller": string(w.Controller), "action": string(w.Action),
		"jwt": string(w.JWT), "volatile": string(w.Volatile), "body": string(w.Body), "index": string(w.Index),
		"collection": string(w.Collection), "_id": string(w.ID)}
	want := map[string]string{"requestId": `"r"`, "controller": `"c"`, "action": `"last"`, "jwt": `null`,
		"volatile": `{"v":[1]}`, "body": `{"x":"}"}`, "index": `"i"`, "collection": `"k"`, "_id": `"d"`}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
	// Keys written with escapes and deep nesting are left to the decoder.
	if scanWire([]byte(`{"contr\u006fller":"c"}`), &w) {
		t.Error("an escaped key was read")
	}
	deep := strings.Repeat(`{"a":`, scanDepth+1) + "1" + strings.Repeat("}", scanDepth+1)
	if scanWire([]byte(deep), &w) {
		t.Error("nesting beyond scanDepth was read")
	}
}

// FuzzScanWire: scanWire never accepts what encoding/json rejects, and
// reads every top-level object without escaped keys.
func FuzzScanWire(f *testing.F) {
	for _, c := range scanCases {
		f.Add([]byte(c))
	}
	for _, payload := range requests {
		f.Add([]byte(payload))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		var w wire
		got := scanWire(payload, &w)
		valid := json.Valid(payload)
		if got && !valid {
			t.Fatalf("accepted invalid JSON %q", payload)
		}
		trimmed := bytes.TrimSpace(payload)
		if !got && valid && len(trimmed) > 0 && trimmed[0] == '{' && !bytes.Contains(payload, []byte(`\`)) &&
			bytes.Count(payload, []byte("{"))+bytes.Count(payload, []byte("[")) < scanDepth {
			t.Fatalf("refused valid object %q", payload)
		}
	})
}

// TestPlain8 checks the eight-byte test against the byte-by-byte one on
// every byte value in every position.
func TestPlain8(t *testing.T) {
	for pos := range 8 {
		for b := range 256 {
			w := []byte("abcdefgh")
			w[pos] = byte(b)
			want := true
			for _, c := range w {
				if c == '"' || c == '\\' || c < 0x20 {
					want = false
				}
			}
			if got := plain8(binary.LittleEndian.Uint64(w)); got != want {
				t.Fatalf("byte %#x at %d: plain8 %v, want %v", b, pos, got, want)
			}
		}
	}
}
