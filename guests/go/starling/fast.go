package starling

import (
	"math/bits"
	"unsafe"
)

// Compiled to Wasm, Go pays for every function call and every loop
// iteration (tens of nanoseconds each once the host compiles termination
// checks into loops), so the hot path reads eight bytes at a time and
// calls as little as it can.

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
	quote = '"' * ones
	slash = '\\' * ones
)

// word returns the eight bytes at b[i:], little-endian; i+8 <= len(b).
func word(b []byte, i int) uint64 {
	return *(*uint64)(unsafe.Pointer(unsafe.SliceData(b[i : i+8])))
}

// hasByte returns a mask with the high bit of every byte of w equal to the
// byte that pattern repeats (false positives only above a true one).
func hasByte(w, pattern uint64) uint64 {
	x := w ^ pattern
	return (x - ones) &^ x & highs
}

// stringEnd returns the index of the quote closing the string whose
// content starts at i, or -1 when the string has an escape (or no end):
// the caller then takes the slow path.
func stringEnd(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		w := word(b, i)
		q, s := hasByte(w, quote), hasByte(w, slash)
		if q|s == 0 {
			continue
		}
		if q == 0 || (s != 0 && bits.TrailingZeros64(s) < bits.TrailingZeros64(q)) {
			return -1
		}
		return i + bits.TrailingZeros64(q)/8
	}
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			return i
		case '\\':
			return -1
		}
	}
	return -1
}

// stringWord returns the eight bytes at s[i:], little-endian; i+8 <= len(s).
func stringWord(s string, i int) uint64 {
	return *(*uint64)(unsafe.Pointer(unsafe.StringData(s[i : i+8])))
}

// equal reports whether a and b hold the same bytes: two overlapping word
// comparisons up to 16 bytes, no loop.
func equal(a []byte, b string) bool {
	n := len(a)
	switch {
	case n != len(b):
		return false
	case n >= 8 && n <= 16:
		return word(a, 0) == stringWord(b, 0) && word(a, n-8) == stringWord(b, n-8)
	case n > 16:
		return string(a) == b
	}
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// prefixAt reports whether b[i:] starts with p.
func prefixAt(b []byte, i int, p string) bool {
	return i >= 0 && len(b)-i >= len(p) && equal(b[i:i+len(p)], p)
}

// internBytes returns the one of known whose bytes s holds, or a new string.
func internBytes(s []byte, known ...string) string {
	for _, k := range known {
		if equal(s, k) {
			return k
		}
	}
	return string(s)
}
