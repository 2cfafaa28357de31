package wasmhost

import (
	"errors"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// FuzzGuestOutput feeds what a guest's starling_handle may hand back — a
// packed pointer/length/error flag and the bytes of its memory — through the
// host's handling of it: bounds and size checks, JSON validation, error
// objects. It must never panic and must always answer with exactly one of a
// valid JSON result or a Kuzzle error.
//
//	go test -run '^$' -fuzz FuzzGuestOutput -fuzztime 1m ./wasmhost/
func FuzzGuestOutput(f *testing.F) {
	pack := func(ptr, n uint32, isError bool) uint64 {
		if isError {
			n |= errorFlag
		}
		return uint64(ptr)<<32 | uint64(n)
	}
	seeds := []struct {
		mem    string
		packed uint64
	}{
		{`null`, pack(0, 4, false)},
		{`xx{"inside":true,"distance":595}`, pack(2, 30, false)},
		{`{"oops`, pack(0, 6, false)},
		{`"unterminated`, pack(0, 13, false)},
		{`{"message":"the guest says no"}`, pack(0, 31, true)},
		{`{"id":"api.assert.missing_argument","props":["lat"]}`, pack(0, 52, true)},
		{`{"id":"api.assert.missing_argument","message":"custom","props":[{"a":[1,2]},null,3.5]}`, pack(0, 84, true)},
		{`{"id":"no.such.error","message":""}`, pack(0, 35, true)},
		{`{"id":"core.sandbox.timeout","props":[]}`, pack(0, 40, true)},
		{`{"props":"not a list"}`, pack(0, 22, true)},
		{`[1,2,3]`, pack(0, 7, true)},
		{`"just a string"`, pack(0, 15, true)},
		{`{}`, pack(0, 2, true)},
		{`{"a":1}`, pack(1, 7, false)},          // runs past memory
		{`{"a":1}`, pack(0xffffffff, 7, false)}, // pointer past memory
		{`{"a":1}`, pack(0, 0x7fffffff, false)}, // over the size limit
		{"\xff\xfe", pack(0, 2, false)},
		{`{"id":"api.assert.missing_argument","props":["%s%d%v{0}"]}`, pack(0, 59, true)},
	}
	for _, s := range seeds {
		f.Add([]byte(s.mem), s.packed)
	}
	const max = 1 << 10
	m := &Module{name: "fuzz"}
	f.Fuzz(func(t *testing.T, mem []byte, packed uint64) {
		ptr, n, isError, err := unpack(packed, uint32(min(len(mem), 1<<30)), max)
		if err != nil {
			var fl *fault
			if !errors.As(err, &fl) || fl.msg == "" {
				t.Fatalf("unpack(%#x) failed with %v, not a fault", packed, err)
			}
			if kerr := m.kerror(err); kerr.ID != "plugin.runtime.unexpected_error" {
				t.Fatalf("a fault became %s", kerr.ID)
			}
			return
		}
		if n > max {
			t.Fatalf("unpack(%#x) let %d bytes through, over %d", packed, n, max)
		}
		data := append([]byte(nil), mem[ptr:ptr+n]...) // out of range panics
		res, kerr := m.answer(output{data: data, isError: isError})
		switch {
		case (res == nil) == (kerr == nil):
			t.Fatalf("answer(%q, %v) = %q, %v: want exactly one", data, isError, res, kerr)
		case kerr != nil:
			if !kerror.Known(kerr.ID) || kerr.Status < 400 || kerr.Message == "" {
				t.Fatalf("answer(%q, %v) gave an unusable error %+v", data, isError, kerr)
			}
			if _, err := jsonx.Marshal(kerr); err != nil {
				t.Fatalf("answer(%q, %v) gave an unencodable error: %v", data, isError, err)
			}
		default:
			if isError || !jsonx.Valid(res) {
				t.Fatalf("answer(%q, %v) gave result %q", data, isError, res)
			}
		}
	})
}
